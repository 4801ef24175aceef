package dev.streamfit.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Maps (method, path) to handlers, the same way for every stage: a path that matches with another method is 405
 * with {@code Allow} listing the methods it takes; no match is 404 {@code not_found}. Paths match exactly, or by
 * prefix when registered with a trailing {@code *} (the longest prefix wins). Build it once, then it is immutable
 * and thread-safe.
 */
public final class Router implements RequestHandler {
  private final Map<String, Map<String, RequestHandler>> exact = new LinkedHashMap<>();
  private final Map<String, Map<String, RequestHandler>> prefixes = new LinkedHashMap<>();
  private final String notFoundHint;

  /** A router whose 404 message ends with {@code notFoundHint} (e.g. {@code " (see /openapi.json)"}; may be empty). */
  public Router(String notFoundHint) {
    this.notFoundHint = Objects.requireNonNull(notFoundHint, "notFoundHint");
  }

  /** Routes {@code method} on {@code path} ({@code /x/*}: every path under {@code /x/}) to {@code handler}. */
  public Router route(String method, String path, RequestHandler handler) {
    Map<String, Map<String, RequestHandler>> table = path.endsWith("*") ? prefixes : exact;
    String key = path.endsWith("*") ? path.substring(0, path.length() - 1) : path;
    if (table.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(method, handler) != null) {
      throw new IllegalArgumentException(method + " " + path + " is routed twice");
    }
    return this;
  }

  /**
   * Every route, as {@code "METHOD /path"} ({@code "METHOD /x/*"} for a prefix route), in the order routed: what a
   * description of the API must list.
   */
  public List<String> routes() {
    List<String> out = new ArrayList<>();
    exact.forEach((path, methods) -> methods.keySet().forEach(m -> out.add(m + " " + path)));
    prefixes.forEach((path, methods) -> methods.keySet().forEach(m -> out.add(m + " " + path + "*")));
    return out;
  }

  @Override
  public Response handle(Request r) throws Exception {
    Map<String, RequestHandler> methods = exact.get(r.path());
    if (methods == null) {
      String best = null;
      for (String p : prefixes.keySet()) {
        if (r.path().startsWith(p) && (best == null || p.length() > best.length())) {
          best = p;
        }
      }
      methods = best == null ? null : prefixes.get(best);
    }
    if (methods == null) {
      throw HttpError.notFound("not_found", "no such endpoint: " + HttpError.clip(r.path()) + notFoundHint);
    }
    RequestHandler h = methods.get(r.method());
    if (h == null) {
      throw HttpError.methodNotAllowed(r.method(), String.join(", ", new ArrayList<>(methods.keySet())));
    }
    return h.handle(r);
  }
}
