/**
 * The version of roomcast, as in deno.json: `--version` and the startup
 * banner.
 *
 * @module
 */

/** The version of roomcast. */
export const VERSION = "0.1.0";
