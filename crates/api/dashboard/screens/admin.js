// admin screen (issue 6): to be built; see docs/ARCHITECTURE.md, "Integrated operating system".
import { section } from "../lib.js";

export default {
  id: "admin",
  nav: "nav.admin",
  who: "operator",
  async render(root) {
    root.append(section("admin", "admin.title"));
  },
};
