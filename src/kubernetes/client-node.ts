// The parts of @kubernetes/client-node Slipway uses, through one module.
// The package is ~21 MB of JavaScript in ~1,000 files, and importing it took
// 1–2 s of every `slipway` command on a cluster environment (most of a rolling
// update's overhead over kubectl's). `npm run build` replaces this module's
// output with one minified bundle of these exports and what they import
// (scripts/bundle-kubernetes-client.mjs), which loads in a fraction of that;
// without the bundle (a bare `tsc`), this re-export does the same, only slower.
export {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  makeInformer,
  PatchStrategy,
  Watch,
} from "@kubernetes/client-node";
export type { Informer, KubernetesObject, ObjectCache, V1Pod } from "@kubernetes/client-node";
