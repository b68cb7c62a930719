// trade screen (issue 6): to be built; see docs/ARCHITECTURE.md, "Integrated operating system".
import { section } from "../lib.js";

export default {
  id: "trade",
  nav: "nav.trade",
  who: "participant",
  async render(root) {
    root.append(section("trade", "trade.title"));
  },
};
