package dev.streamfit.ingest;

import dev.streamfit.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Configuration of the ingest stage. Immutable; validated on construction.
 *
 * @param bootstrapServers Kafka {@code bootstrap.servers}
 * @param topics topic catalogue
 * @param dataDir folder laid out as {@code <split>/<class>/<file>} (split: train, validation|val, test)
 * @param maxImageBytes files larger than this go to images.rejected instead, bytes
 */
public record IngestConfig(String bootstrapServers, Topics topics, Path dataDir, int maxImageBytes) {
  public IngestConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(dataDir, "dataDir");
    if (!Files.isDirectory(dataDir)) {
      throw new IllegalArgumentException("ingest.data must be a directory laid out as <split>/<class>/*.jpg, was '"
          + dataDir + "' (set --data)");
    }
    int cap = Topics.RAW_MAX_BYTES - 64 * 1024;
    if (maxImageBytes <= 0 || maxImageBytes > cap) {
      throw new IllegalArgumentException("ingest.max-image-bytes must be in [1, " + cap + "], was " + maxImageBytes
          + " (set --max-image-bytes)");
    }
  }

  public static IngestConfig of(String bootstrapServers, Topics topics, Path dataDir) {
    return new IngestConfig(bootstrapServers, topics, dataDir, 16 * 1024 * 1024);
  }
}
