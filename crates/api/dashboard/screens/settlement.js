// settlement screen (issue 6): to be built; see docs/ARCHITECTURE.md, "Integrated operating system".
import { section } from "../lib.js";

export default {
  id: "settlement",
  nav: "nav.settlement",
  who: "participant",
  async render(root) {
    root.append(section("settlement", "settlement.title"));
  },
};
