package dev.streamfit.http;

import dev.streamfit.schemas.RejectReason;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A refusal of the client's request, thrown by handlers and answered by the front as JSON
 * {@code {"error": code, "message": message}} with its status and headers, without a log line. The one place the
 * stages' status rules live: 400 malformed request (framing, query value, JSON, multipart file count), 401 token,
 * 403 admin, 404 unknown path or resource, 405 method (with {@code Allow}), 409 conflict, 413 body cap, 415 media
 * type, 422 well-formed but unusable content (unreadable image, unknown label), 429 rate or saturation (with
 * {@code Retry-After}), 503 not ready. Immutable.
 */
public final class HttpError extends RuntimeException {
  private final int status;
  private final String code;
  private final Map<String, String> headers;

  public HttpError(int status, String code, String message) {
    this(status, code, message, Map.of());
  }

  public HttpError(int status, String code, String message, Map<String, String> headers) {
    super(message == null ? code : message, null, false, false);
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("an HttpError has a 4xx or 5xx status, was " + status);
    }
    this.status = status;
    this.code = code;
    this.headers = Map.copyOf(headers);
  }

  /** 400 {@code bad_request}. */
  public static HttpError badRequest(String message) {
    return new HttpError(400, "bad_request", message);
  }

  /** 400 naming the query parameter, its value and what it must be. */
  public static HttpError badParameter(String key, String value, String must) {
    return badRequest("query parameter " + key + " must be " + must + ", was '" + clip(value) + "'");
  }

  /**
   * Content refused for {@code reason}, the reason's code as the error code: 400 invalid label, 413 too large, 415
   * unsupported format, else 422.
   */
  public static HttpError refused(RejectReason reason, String message) {
    int status = switch (reason) {
      case INVALID_LABEL -> 400;
      case TOO_LARGE -> 413;
      case UNSUPPORTED_FORMAT -> 415;
      default -> 422;
    };
    return new HttpError(status, reason.code(), message);
  }

  /** 404 {@code code}. */
  public static HttpError notFound(String code, String message) {
    return new HttpError(404, code, message);
  }

  /** 405 with {@code Allow: allowed}. */
  public static HttpError methodNotAllowed(String method, String allowed) {
    return new HttpError(405, "method_not_allowed", method + " not allowed here; use " + allowed,
        Map.of("Allow", allowed));
  }

  /** 429 with {@code Retry-After} (whole seconds, at least 1). */
  public static HttpError tooManyRequests(String code, String message, long retryAfterSeconds) {
    return new HttpError(429, code, message, Map.of("Retry-After", Long.toString(Math.max(1, retryAfterSeconds))));
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  /** The JSON error response. */
  public Response toResponse() {
    Response r = Response.error(status, code, getMessage());
    for (Map.Entry<String, String> h : new LinkedHashMap<>(headers).entrySet()) {
      r = r.with(h.getKey(), h.getValue());
    }
    return r;
  }

  static String clip(String s) {
    return s == null ? "" : s.length() > 100 ? s.substring(0, 100) + "…" : s;
  }
}
