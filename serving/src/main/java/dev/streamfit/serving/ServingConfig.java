package dev.streamfit.serving;

import dev.streamfit.imaging.DecodeLimits;
import dev.streamfit.schemas.Topics;
import java.util.Objects;

/**
 * Configuration of the serving stage. Immutable; validated on construction.
 *
 * @param bootstrapServers Kafka {@code bootstrap.servers}
 * @param topics topic catalogue
 * @param host HTTP bind address (default 127.0.0.1)
 * @param port HTTP port, 0 for a free one, else in [1, 65535]
 * @param defaultTopK labels returned when the request does not say ({@code ?k=}), in [1, 100]
 * @param maxBodyBytes largest request body accepted; larger answers 413
 * @param limits decode guards for uploaded images
 * @param httpThreads request-handling threads, in [1, 256]
 */
public record ServingConfig(String bootstrapServers, Topics topics, String host, int port, int defaultTopK,
    int maxBodyBytes, DecodeLimits limits, int httpThreads) {
  public ServingConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(limits, "limits");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("serving.port must be in [0, 65535], was " + port + " (set --port)");
    }
    if (defaultTopK < 1 || defaultTopK > 100) {
      throw new IllegalArgumentException("serving.top-k must be in [1, 100], was " + defaultTopK + " (set --top-k)");
    }
    if (maxBodyBytes < 1024 || maxBodyBytes > 64 * 1024 * 1024) {
      throw new IllegalArgumentException("serving.max-body-bytes must be in [1024, 67108864], was " + maxBodyBytes
          + " (set --max-body-bytes)");
    }
    if (httpThreads < 1 || httpThreads > 256) {
      throw new IllegalArgumentException("serving.http-threads must be in [1, 256], was " + httpThreads
          + " (set --http-threads)");
    }
  }

  /** 127.0.0.1:{@code port}, top-3, 16 MiB bodies, default decode limits, 8 threads. */
  public static ServingConfig defaults(String bootstrapServers, Topics topics, int port) {
    return new ServingConfig(bootstrapServers, topics, "127.0.0.1", port, 3, 16 * 1024 * 1024, DecodeLimits.defaults(), 8);
  }
}
