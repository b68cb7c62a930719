// charging screen (issue 6): to be built; see docs/ARCHITECTURE.md, "Integrated operating system".
import { section } from "../lib.js";

export default {
  id: "charging",
  nav: "nav.charging",
  who: "operator",
  async render(root) {
    root.append(section("charging", "charging.title"));
  },
};
