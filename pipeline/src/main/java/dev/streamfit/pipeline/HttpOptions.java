package dev.streamfit.pipeline;

import dev.streamfit.http.HttpLimits;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The HTTP front's deadlines and caps ({@link HttpLimits}), shared by {@code serve}, {@code demo} and {@code ingest}. */
public final class HttpOptions {
  @Option(names = "--http-header-timeout-ms", defaultValue = "10000",
      description = "A request's line and headers must arrive within this; else 408 (default ${DEFAULT-VALUE}).")
  public long headerTimeoutMs;

  @Option(names = "--http-body-timeout-ms", defaultValue = "60000",
      description = "A request's body must arrive within this after its headers; else 408 (default ${DEFAULT-VALUE}).")
  public long bodyTimeoutMs;

  @Option(names = "--http-idle-timeout-ms", defaultValue = "60000",
      description = "A kept-alive connection with no request is closed after this (default ${DEFAULT-VALUE}).")
  public long idleTimeoutMs;

  @Option(names = "--http-write-timeout-ms", defaultValue = "30000",
      description = "A response the client does not take within this drops the connection (default ${DEFAULT-VALUE}).")
  public long writeTimeoutMs;

  @Option(names = "--http-max-header-bytes", defaultValue = "16384",
      description = "Largest request line + headers; larger gets 431 (default ${DEFAULT-VALUE}).")
  public int maxHeaderBytes;

  @Option(names = "--http-max-headers", defaultValue = "100", description = "Most header fields; more gets 431 (default ${DEFAULT-VALUE}).")
  public int maxHeaders;

  @Option(names = "--http-max-connections", defaultValue = "1024",
      description = "Most open connections; more are closed on accept (default ${DEFAULT-VALUE}).")
  public int maxConnections;

  @Option(names = "--http-max-inflight-bytes", defaultValue = "0", description = "Most request-body bytes held at once; "
      + "beyond, 429 with Retry-After. 0 = an eighth of the maximum heap, within [32 MiB, 512 MiB] (default ${DEFAULT-VALUE}).")
  public long maxInFlightBytes;

  public HttpLimits limits() {
    long budget = maxInFlightBytes == 0 ? HttpLimits.defaults().maxInFlightBytes() : maxInFlightBytes;
    return new HttpLimits(Duration.ofMillis(headerTimeoutMs), Duration.ofMillis(bodyTimeoutMs), Duration.ofMillis(idleTimeoutMs),
        Duration.ofMillis(writeTimeoutMs), maxHeaderBytes, maxHeaders, maxConnections, budget);
  }
}
