package dev.streamfit.http;

import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A whole HTTP request as a handler sees it: the body is complete and within the caps. Immutable apart from the
 * body array, which the handler may read but should not change.
 *
 * @param method request method, upper case as sent (e.g. {@code POST})
 * @param path the URI's path, percent-decoded, never null
 * @param rawQuery the URI's query string without {@code ?}, still encoded, or null
 * @param headers header fields by lower-case name, values in arrival order
 * @param body the body bytes, empty when there is none
 * @param remote the client's address
 */
public record Request(String method, String path, String rawQuery, Map<String, List<String>> headers, byte[] body,
    InetSocketAddress remote) {
  public Request {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(headers, "headers");
    Objects.requireNonNull(body, "body");
  }

  /** The first value of header {@code name} (any case), or null. */
  public String header(String name) {
    List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  /**
   * The URL-decoded value of query parameter {@code key}, or null when absent; a malformed escape is
   * {@link HttpError} 400 naming the key.
   */
  public String query(String key) {
    if (rawQuery != null) {
      for (String kv : rawQuery.split("&")) {
        if (kv.startsWith(key + "=")) {
          String raw = kv.substring(key.length() + 1);
          try {
            return URLDecoder.decode(raw, StandardCharsets.UTF_8);
          } catch (IllegalArgumentException e) {
            throw HttpError.badParameter(key, raw, "URL-encoded (" + e.getMessage() + ")");
          }
        }
      }
    }
    return null;
  }

  /**
   * Query parameter {@code key} as an integer in [{@code min}, {@code max}], or {@code otherwise} when absent; any
   * other value is {@link HttpError} 400 naming the key, the bounds and the value.
   */
  public int intQuery(String key, int otherwise, int min, int max) {
    String v = query(key);
    if (v == null) {
      return otherwise;
    }
    try {
      long n = Long.parseLong(v.trim());
      if (n >= min && n <= max) {
        return (int) n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw HttpError.badParameter(key, v, "an integer in [" + min + ", " + max + "]");
  }

  /** Whether the client connected from a loopback address. */
  public boolean fromLoopback() {
    return remote != null && remote.getAddress() != null && remote.getAddress().isLoopbackAddress();
  }
}
