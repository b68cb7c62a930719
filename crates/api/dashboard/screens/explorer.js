// explorer screen (issue 6): to be built; see docs/ARCHITECTURE.md, "Integrated operating system".
import { section } from "../lib.js";

export default {
  id: "explorer",
  nav: "nav.explorer",
  who: "anyone",
  async render(root) {
    root.append(section("explorer", "explorer.title"));
  },
};
