package dev.streamfit.ingest;

import dev.streamfit.imaging.DecodeLimits;
import dev.streamfit.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Configuration of the ingest stage. Immutable; validated on construction.
 *
 * @param bootstrapServers Kafka {@code bootstrap.servers}
 * @param topics topic catalogue
 * @param dataDir folder laid out as {@code <split>/<class>/<file>} (split: train, validation|val, test); null when
 *     only the HTTP endpoint is used
 * @param maxImageBytes files larger than this go to images.rejected instead, bytes
 * @param labels the label set; a labelled image whose label is not in it is refused ({@code unknown_label}) or,
 *     with {@code unknownLabelAsUnlabeled}, published unlabeled; empty accepts any label
 * @param unknownLabelAsUnlabeled route images with unknown labels as unlabeled instead of refusing them
 * @param limits the decode guards checked at the edge (the augment stage's: allow-list, caps, JPEG EOI, frames)
 * @param maxSide images whose longer side exceeds this many pixels are downscaled to it at the edge and
 *     re-encoded as JPEG (quality 95) before publishing, so records stay far below the topic's message size;
 *     their id stays the SHA-256 of the bytes as received; 0 publishes every image as received
 */
public record IngestConfig(String bootstrapServers, Topics topics, Path dataDir, int maxImageBytes, List<String> labels,
    boolean unknownLabelAsUnlabeled, DecodeLimits limits, int maxSide) {
  public IngestConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(limits, "limits");
    labels = List.copyOf(labels);
    if (dataDir != null && !Files.isDirectory(dataDir)) {
      throw new IllegalArgumentException("ingest.data must be a directory laid out as <split>/<class>/*.jpg, was '"
          + dataDir + "' (set --data)");
    }
    if (maxSide != 0 && (maxSide < 32 || maxSide > limits.maxSide())) {
      throw new IllegalArgumentException("ingest.max-side must be 0 (off) or in [32, " + limits.maxSide() + "], was "
          + maxSide + " (set --max-side)");
    }
    int cap = Topics.RAW_MAX_BYTES - 64 * 1024;
    if (maxImageBytes <= 0 || maxImageBytes > cap) {
      throw new IllegalArgumentException("ingest.max-image-bytes must be in [1, " + cap + "], was " + maxImageBytes
          + " (set --max-image-bytes)");
    }
  }

  /** 16 MiB files, any label, default decode limits, images published as received. */
  public static IngestConfig of(String bootstrapServers, Topics topics, Path dataDir) {
    return new IngestConfig(bootstrapServers, topics, dataDir, 16 * 1024 * 1024, List.of(), false, DecodeLimits.defaults(), 0);
  }

  /** This config checking labels against {@code labels}. */
  public IngestConfig withLabels(List<String> labels, boolean unknownAsUnlabeled) {
    return new IngestConfig(bootstrapServers, topics, dataDir, maxImageBytes, labels, unknownAsUnlabeled, limits, maxSide);
  }

  /** This config downscaling images larger than {@code side} pixels (0 = off). */
  public IngestConfig withMaxSide(int side) {
    return new IngestConfig(bootstrapServers, topics, dataDir, maxImageBytes, labels, unknownLabelAsUnlabeled, limits, side);
  }
}
