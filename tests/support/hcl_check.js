// Checks HCL files with HashiCorp's own code compiled to WebAssembly: @cdktf/hcl2json
// (the HCL parser) and @cdktf/hcl-tools (hclwrite.Format, what `terraform fmt` runs).
// Prints one JSON object: { "<file>": { "parses": bool, "formatted": bool, "error": str } }.
const fs = require("fs");
const { parse } = require("@cdktf/hcl2json");
const { format } = require("@cdktf/hcl-tools");

(async () => {
  const out = {};
  for (const file of process.argv.slice(2)) {
    const text = fs.readFileSync(file, "utf8");
    const result = { parses: true, formatted: false, error: null };
    try {
      await parse(file, text);
    } catch (e) {
      result.parses = false;
      result.error = String(e);
    }
    try {
      result.formatted = (await format(text)) === text;
    } catch (e) {
      result.formatted = false;
    }
    out[file] = result;
  }
  process.stdout.write(JSON.stringify(out));
})();
