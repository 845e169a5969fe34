// Validate custom resources against their CRDs' schemas, as compiled by the pinned npm packages
// (package.json): stdin is a JSON array of {id, object}; stdout a JSON array of
// {id, status: "ok" | "invalid" | "unknown-kind", errors: [...]}.
//
// Two checks, both against the CRD's openAPIV3Schema:
// 1. the compiled validator: types, enums, required fields, formats, patterns, bounds;
// 2. fields the schema does not declare. The API server prunes them silently (structural
//    schemas), so a misspelled field would vanish without an error. The compiled validators read
//    exactly the properties their schema declares (and every key of a map or of an object that
//    preserves unknown fields), so the object is wrapped in a Proxy that records every property
//    the validator reads: a field it never read is one the schema does not know.
import { readFileSync } from "node:fs";

const PACKAGES = ["@kubernetes-models/istio", "@kubernetes-models/karpenter"];
const TOP_LEVEL = new Set(["apiVersion", "kind", "metadata", "status"]);
// Fields of type google.protobuf.Struct: the CRD declares them with
// x-kubernetes-preserve-unknown-fields, so the API server keeps what is under them (an
// EnvoyFilter patch's value is Envoy configuration, not Istio schema).
const OPAQUE = { EnvoyFilter: /^\/spec\/configPatches\/\d+\/patch\/value\// };
// Pulumi's marker for a value unknown during preview: never a violation by itself.
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function at(object, pointer) {
  let value = object;
  for (const part of pointer.split("/").slice(1)) {
    if (value === null || typeof value !== "object") return undefined;
    value = value[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return value;
}

async function modelFor(apiVersion, kind) {
  for (const pkg of PACKAGES) {
    try {
      const mod = await import(`${pkg}/${apiVersion}/${kind}`);
      if (mod[kind]) return mod[kind];
    } catch (err) {
      if (err.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED" && err.code !== "ERR_MODULE_NOT_FOUND") {
        throw err;
      }
    }
  }
  return null;
}

function tracked(value, path, seen) {
  if (value === null || typeof value !== "object") return value;
  return new Proxy(value, {
    get(target, key, receiver) {
      const child = Reflect.get(target, key, receiver);
      if (typeof key !== "string" || !Object.prototype.hasOwnProperty.call(target, key)) {
        return child;
      }
      seen.add(`${path}/${key}`);
      return tracked(child, `${path}/${key}`, seen);
    },
  });
}

function* leaves(value, path) {
  if (value === null || typeof value !== "object") return;
  for (const [key, child] of Object.entries(value)) {
    const here = `${path}/${key}`;
    yield here;
    yield* leaves(child, here);
  }
}

const items = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const { id, object } of items) {
  const Model = await modelFor(object.apiVersion, object.kind);
  if (!Model) {
    results.push({ id, status: "unknown-kind", errors: [] });
    continue;
  }
  const seen = new Set([""]);
  const errors = [];
  try {
    Model.prototype.validate.call(tracked(object, "", seen));
  } catch (err) {
    for (const e of err.errors ?? [{ instancePath: "", message: String(err) }]) {
      if (at(object, e.instancePath) === UNKNOWN) continue;
      errors.push(`${e.instancePath || "/"}: ${e.message}${e.params ? " " + JSON.stringify(e.params) : ""}`);
    }
  }
  for (const path of leaves(object, "")) {
    // apiVersion/kind select the schema; metadata is ObjectMeta (checked against Kubernetes'
    // own schema in Python); status belongs to the controller.
    if (TOP_LEVEL.has(path.split("/")[1])) continue;
    if (OPAQUE[object.kind]?.test(path)) continue;
    if (!seen.has(path) && seen.has(path.slice(0, path.lastIndexOf("/")) || "")) {
      errors.push(`${path}: unknown field (not in the CRD schema; the API server would prune it)`);
    }
  }
  results.push({ id, status: errors.length ? "invalid" : "ok", errors });
}
process.stdout.write(JSON.stringify(results));
