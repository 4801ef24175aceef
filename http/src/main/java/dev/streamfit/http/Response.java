package dev.streamfit.http;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A whole HTTP response. Immutable.
 *
 * @param status status code
 * @param contentType the Content-Type, or null for none
 * @param headers further header fields (name → value)
 * @param body the body bytes (sent with a Content-Length)
 */
public record Response(int status, String contentType, Map<String, String> headers, byte[] body) {
  public Response {
    Objects.requireNonNull(headers, "headers");
    Objects.requireNonNull(body, "body");
    headers = Map.copyOf(headers);
  }

  /** A JSON response. */
  public static Response json(int status, byte[] json) {
    return new Response(status, "application/json", Map.of(), json);
  }

  /** A JSON error {@code {"error": code, "message": message}}. */
  public static Response error(int status, String code, String message) {
    return json(status, ("{\"error\":" + Json.quote(code) + ",\"message\":" + Json.quote(message) + "}")
        .getBytes(StandardCharsets.UTF_8));
  }

  /** This response with header {@code name: value} added (replacing one of the same name). */
  public Response with(String name, String value) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put(name, value);
    return new Response(status, contentType, h, body);
  }

  /** Minimal JSON string quoting for the front's own error bodies. */
  static final class Json {
    private Json() {}

    static String quote(String s) {
      if (s == null) {
        return "null";
      }
      StringBuilder b = new StringBuilder(s.length() + 2).append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '"' -> b.append("\\\"");
          case '\\' -> b.append("\\\\");
          case '\n' -> b.append("\\n");
          case '\r' -> b.append("\\r");
          case '\t' -> b.append("\\t");
          default -> {
            if (c < 0x20) {
              b.append(String.format("\\u%04x", (int) c));
            } else {
              b.append(c);
            }
          }
        }
      }
      return b.append('"').toString();
    }
  }
}
