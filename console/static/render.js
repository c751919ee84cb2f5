// Redraws everything that depends on the alerts; called after any change the page learns of.

import { renderCounts } from "./counts.js";
import { renderDetail } from "./detail-view.js";
import { renderQueue } from "./queue.js";

export function render(options) {
  renderQueue(options);
  renderCounts();
  renderDetail();
}
