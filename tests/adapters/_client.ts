// The raw clients the adapter tests share come from the conformance kit
// (adapters/conformance/): a stream client that speaks bytes, so it can also
// send what a well-behaved client never would, and the byte helpers.

export {
  concat,
  type ConformanceClient as TestClient,
  connectStream,
  field,
  openStream,
  rawFrame,
  StreamClient as StreamTestClient,
  WAIT_MS,
} from "../../adapters/conformance/mod.ts";
