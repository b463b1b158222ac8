// The probe (probe.mjs) under Node, through the workerd-semantics shim.
//   node probe_node.mjs '{"compat": ..., "url": ..., "bad_url": ...}'
import { probe } from "./probe.mjs";
import { workerdFetch } from "./shim.mjs";

const options = JSON.parse(process.argv[2]);
console.log(JSON.stringify(await probe(workerdFetch(options.compat), options.url, options.bad_url)));
process.exit(0);
