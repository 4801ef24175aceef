package dev.streamfit.ingest;

import dev.streamfit.http.HttpLimits;
import dev.streamfit.imaging.DecodeLimits;
import dev.streamfit.schemas.Labels;
import dev.streamfit.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * @param commitInterval how long a transaction stays open while images keep coming (a folder run also commits at
 *     its end, a watch scan at its end, an HTTP request before it answers): the most a crash makes a re-run redo,
 *     and how long consumers ({@code read_committed}) wait to see an image. Kafka Streams' exactly-once default
 *     is 100 ms; ingest's is 1 s, since each commit drains the producer's pipeline (README, "Ingest
 *     throughput"; {@code bench ingest})
 * @param http the HTTP endpoint's deadlines and caps (headers, bodies, connections, bytes in flight)
 */
public record IngestConfig(String bootstrapServers, Topics topics, Path dataDir, int maxImageBytes, List<String> labels,
    boolean unknownLabelAsUnlabeled, DecodeLimits limits, int maxSide, Duration commitInterval, HttpLimits http) {
  /** Default {@code commitInterval}. */
  public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofSeconds(1);

  /** Largest {@code commitInterval}: well inside Kafka's default {@code transaction.timeout.ms} (60 s). */
  public static final Duration MAX_COMMIT_INTERVAL = Duration.ofSeconds(30);

  public IngestConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(commitInterval, "commitInterval");
    Objects.requireNonNull(http, "http");
    if (commitInterval.toMillis() < 1 || commitInterval.compareTo(MAX_COMMIT_INTERVAL) > 0) {
      throw new IllegalArgumentException("ingest.commit-interval-ms must be in [1, " + MAX_COMMIT_INTERVAL.toMillis()
          + "], was " + commitInterval.toMillis() + " (set --commit-interval-ms)");
    }
    labels = List.copyOf(labels);
    for (String l : labels) {
      String why = Labels.problem(l);
      if (why != null) {
        throw new IllegalArgumentException("ingest.labels: " + why + " (fix --labels)");
      }
    }
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

  /** 16 MiB files, any label, default decode limits, images published as received, commits every second. */
  public static IngestConfig of(String bootstrapServers, Topics topics, Path dataDir) {
    return new IngestConfig(bootstrapServers, topics, dataDir, 16 * 1024 * 1024, List.of(), false, DecodeLimits.defaults(), 0,
        DEFAULT_COMMIT_INTERVAL, HttpLimits.defaults());
  }

  /** This config checking labels against {@code labels}. */
  public IngestConfig withLabels(List<String> labels, boolean unknownAsUnlabeled) {
    return new IngestConfig(bootstrapServers, topics, dataDir, maxImageBytes, labels, unknownAsUnlabeled, limits, maxSide, commitInterval, http);
  }

  /** This config downscaling images larger than {@code side} pixels (0 = off). */
  public IngestConfig withMaxSide(int side) {
    return new IngestConfig(bootstrapServers, topics, dataDir, maxImageBytes, labels, unknownLabelAsUnlabeled, limits, side, commitInterval, http);
  }

  /** This config committing open transactions after {@code interval}. */
  public IngestConfig withCommitInterval(Duration interval) {
    return new IngestConfig(bootstrapServers, topics, dataDir, maxImageBytes, labels, unknownLabelAsUnlabeled, limits, maxSide,
        interval, http);
  }

  /** This config with other HTTP limits. */
  public IngestConfig withHttp(HttpLimits limits) {
    return new IngestConfig(bootstrapServers, topics, dataDir, maxImageBytes, labels, unknownLabelAsUnlabeled, this.limits,
        maxSide, commitInterval, limits);
  }

  /** This config with other decode guards. */
  public IngestConfig withDecodeLimits(DecodeLimits decode) {
    return new IngestConfig(bootstrapServers, topics, dataDir, maxImageBytes, labels, unknownLabelAsUnlabeled, decode,
        maxSide, commitInterval, http);
  }

  /** This config refusing images larger than {@code bytes}. */
  public IngestConfig withMaxImageBytes(int bytes) {
    return new IngestConfig(bootstrapServers, topics, dataDir, bytes, labels, unknownLabelAsUnlabeled, limits, maxSide,
        commitInterval, http);
  }
}
