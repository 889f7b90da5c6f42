/**
 * HTTP errors as `application/problem+json` (RFC 9457), each carrying a
 * stable `code`: the core's codes (NAME_TAKEN, RATE_LIMITED, ...) where the
 * core refused, and a few HTTP-only codes for what only HTTP can get wrong.
 *
 * @module
 */

import type { ErrorCodeName } from "../../core/errors.ts";

/** Codes only the HTTP adapter uses. */
export type HttpErrorCode =
  | "MALFORMED_JSON"
  | "INVALID_REQUEST"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "ORIGIN_NOT_ALLOWED"
  | "HOST_NOT_ALLOWED"
  | "NOT_FOUND"
  | "ROOM_NOT_FOUND"
  | "BODY_TOO_LARGE"
  | "UPGRADE_REQUIRED"
  | "INTERNAL";

/** Any code a problem can carry. */
export type ProblemCode = ErrorCodeName | HttpErrorCode;

/** The body of a problem response. */
export interface Problem {
  /** A URI naming the problem type: `urn:roomcast:error:CODE`. */
  readonly type: string;
  /** A short summary of the type (the HTTP reason phrase). */
  readonly title: string;
  /** The HTTP status. */
  readonly status: number;
  /** What went wrong this time, in the style `Cannot X: detail`. */
  readonly detail: string;
  /** The stable code. */
  readonly code: ProblemCode;
}

/** The HTTP status of each core code, where the core refused a request. */
export const CORE_CODE_STATUS: Readonly<
  Partial<Record<ErrorCodeName, number>>
> = {
  NAME_TAKEN: 409,
  NAME_INVALID: 422,
  NAME_RESERVED: 422,
  ROOM_INVALID: 422,
  MESSAGE_EMPTY: 422,
  MESSAGE_TOO_LONG: 422,
  NOT_JOINED: 409,
  RATE_LIMITED: 429,
  TOO_MANY_ERRORS: 429,
  INVALID_UTF8: 400,
  BAD_TOKEN: 404,
  SERVER_FULL: 503,
  SHUTTING_DOWN: 503,
  UNAVAILABLE: 503,
  JOIN_TIMEOUT: 504,
  JOIN_PENDING: 409,
};

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  421: "Misdirected Request",
  422: "Unprocessable Content",
  426: "Upgrade Required",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** An HTTP failure on its way to becoming a problem response. */
export class HttpProblem extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** The stable code. */
  readonly code: ProblemCode;
  /** Extra response headers (Retry-After, WWW-Authenticate). */
  readonly headers: Readonly<Record<string, string>>;

  /**
   * @param status HTTP status.
   * @param code Stable code.
   * @param detail `Cannot X: detail`.
   * @param headers Extra response headers.
   */
  constructor(
    status: number,
    code: ProblemCode,
    detail: string,
    headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = "HttpProblem";
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  /**
   * The problem for a refusal by the core, with the status its code maps to.
   *
   * @param code The core's code.
   * @param message The core's detail.
   * @param headers Extra response headers.
   */
  static fromCore(
    code: ErrorCodeName,
    message: string,
    headers: Record<string, string> = {},
  ): HttpProblem {
    return new HttpProblem(
      CORE_CODE_STATUS[code] ?? 400,
      code,
      message,
      headers,
    );
  }

  /** The JSON body. */
  toJSON(): Problem {
    return {
      type: `urn:roomcast:error:${this.code}`,
      title: TITLES[this.status] ?? "Error",
      status: this.status,
      detail: this.message,
      code: this.code,
    };
  }

  /** The response. */
  toResponse(): Response {
    return new Response(JSON.stringify(this.toJSON()), {
      status: this.status,
      headers: {
        "content-type": "application/problem+json",
        "cache-control": "no-store",
        ...this.headers,
      },
    });
  }
}
