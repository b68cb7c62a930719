// metering screen (issue 6): to be built; see docs/ARCHITECTURE.md, "Integrated operating system".
import { section } from "../lib.js";

export default {
  id: "metering",
  nav: "nav.metering",
  who: "participant",
  async render(root) {
    root.append(section("metering", "metering.title"));
  },
};
