// signin screen (issue 6): to be built; see docs/ARCHITECTURE.md, "Integrated operating system".
import { section } from "../lib.js";

export default {
  id: "signin",
  nav: null,
  who: "anyone",
  async render(root) {
    root.append(section("signin", "signin.title"));
  },
};
