// market screen (issue 6): to be built; see docs/ARCHITECTURE.md, "Integrated operating system".
import { section } from "../lib.js";

export default {
  id: "market",
  nav: "nav.market",
  who: "operator",
  async render(root) {
    root.append(section("market", "market.title"));
  },
};
