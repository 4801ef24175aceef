package dev.streamfit.http;

import java.time.Duration;
import java.util.Objects;

/**
 * Caps and deadlines of an HTTP front, applied before a request reaches a worker thread. Immutable; validated on
 * construction (errors name the key, the bound, the value and the flag that sets it).
 *
 * @param headerTimeout time from a connection's first byte of a request (or from accepting it) to the end of that
 *     request's headers; past it the client gets 408 and the connection closes (a connection idle with no request
 *     started is closed quietly after {@code idleTimeout})
 * @param bodyTimeout time from the end of the headers to the end of the body; past it 408 and close
 * @param idleTimeout how long a kept-alive connection may stay with no request started
 * @param writeTimeout how long writing one response may take before the connection is dropped
 * @param maxHeaderBytes largest request line plus headers, bytes; larger gets 431 (414 for the request line alone)
 * @param maxHeaders most header fields in one request; more gets 431
 * @param maxConnections most open connections; a connection beyond it is closed on accept
 * @param maxInFlightBytes most request-body bytes held at once across all connections (declared or received, until
 *     the handler returns); a request that would exceed it gets 429 with {@code Retry-After}
 */
public record HttpLimits(Duration headerTimeout, Duration bodyTimeout, Duration idleTimeout, Duration writeTimeout,
    int maxHeaderBytes, int maxHeaders, int maxConnections, long maxInFlightBytes) {
  public HttpLimits {
    Objects.requireNonNull(headerTimeout, "headerTimeout");
    Objects.requireNonNull(bodyTimeout, "bodyTimeout");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(writeTimeout, "writeTimeout");
    millis("http.header-timeout-ms", headerTimeout, 100, 600_000, "--http-header-timeout-ms");
    millis("http.body-timeout-ms", bodyTimeout, 100, 3_600_000, "--http-body-timeout-ms");
    millis("http.idle-timeout-ms", idleTimeout, 100, 3_600_000, "--http-idle-timeout-ms");
    millis("http.write-timeout-ms", writeTimeout, 100, 3_600_000, "--http-write-timeout-ms");
    range("http.max-header-bytes", maxHeaderBytes, 1024, 1024 * 1024, "--http-max-header-bytes");
    range("http.max-headers", maxHeaders, 8, 10_000, "--http-max-headers");
    range("http.max-connections", maxConnections, 1, 1_000_000, "--http-max-connections");
    range("http.max-inflight-bytes", maxInFlightBytes, 1024 * 1024, 64L * 1024 * 1024 * 1024, "--http-max-inflight-bytes");
  }

  /** Default header deadline. */
  public static final Duration HEADER_TIMEOUT = Duration.ofSeconds(10);
  /** Default body deadline. */
  public static final Duration BODY_TIMEOUT = Duration.ofSeconds(60);

  /**
   * 10 s for headers, 60 s for a body, 60 s idle, 30 s per response, 16 KiB and 100 header fields, 1024
   * connections, and bodies in flight up to an eighth of the JVM's maximum heap (at most 512 MiB, at least 32 MiB):
   * a JSON batch holds its body about three times over while it is parsed and decoded.
   */
  public static HttpLimits defaults() {
    long heapShare = Runtime.getRuntime().maxMemory() / 8;
    return new HttpLimits(HEADER_TIMEOUT, BODY_TIMEOUT, Duration.ofSeconds(60), Duration.ofSeconds(30), 16 * 1024,
        100, 1024, Math.max(32L << 20, Math.min(512L << 20, heapShare)));
  }

  /** These limits with other deadlines for headers and bodies. */
  public HttpLimits withTimeouts(Duration header, Duration body) {
    return new HttpLimits(header, body, idleTimeout, writeTimeout, maxHeaderBytes, maxHeaders, maxConnections,
        maxInFlightBytes);
  }

  /** These limits with another in-flight byte budget. */
  public HttpLimits withMaxInFlightBytes(long bytes) {
    return new HttpLimits(headerTimeout, bodyTimeout, idleTimeout, writeTimeout, maxHeaderBytes, maxHeaders,
        maxConnections, bytes);
  }

  private static void millis(String key, Duration d, long min, long max, String flag) {
    range(key, d.toMillis(), min, max, flag);
  }

  private static void range(String key, long value, long min, long max, String flag) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(key + " must be in [" + min + ", " + max + "], was " + value + " (set " + flag + ")");
    }
  }
}
