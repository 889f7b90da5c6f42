// The event queue of the test clients: the conformance kit's.

export { EventInbox } from "../../adapters/conformance/mod.ts";
