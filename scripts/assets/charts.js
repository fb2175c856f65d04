// Bundled by scripts/build-assets.sh into static/vendor/vega/charts.min.js: vega-embed
// with Vega's CSP-safe expression interpreter (the pages forbid eval), as one global.
import embed from "vega-embed";
import { expressionInterpreter } from "vega-interpreter";

window.civitasCharts = { embed: embed, expressionInterpreter: expressionInterpreter };
