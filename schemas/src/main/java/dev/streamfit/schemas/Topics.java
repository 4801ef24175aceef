package dev.streamfit.schemas;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The one place that names streamfit's topics and defines their configs. All names share an optional
 * prefix so that several pipelines (or tests) can share one cluster. Immutable and thread-safe.
 *
 * @param prefix prepended to every topic name; empty for the defaults ({@code images.raw}, ...)
 * @param partitions partitions of the data topics ({@code images.*}, inference topics)
 * @param replicationFactor replication factor of every topic
 * @param modelsTopic the {@code models} topic's full name when several pipelines (prefixes) publish to one, so that
 *     one serving instance serves their models; null = {@code <prefix>models}
 */
public record Topics(String prefix, int partitions, short replicationFactor, String modelsTopic) {
  /** Largest raw image record: 16 MiB of encoded image plus envelope. */
  public static final int RAW_MAX_BYTES = 17 * 1024 * 1024;
  /** Largest augmented sample record (e.g. 512x512x3 uint8 plus envelope). */
  public static final int AUGMENTED_MAX_BYTES = 4 * 1024 * 1024;
  /** Largest record on {@link #features()}: an early cut of a large image is big; larger samples are rejected. */
  public static final int FEATURES_MAX_BYTES = 8 * 1024 * 1024;
  /** Largest model version record (model bytes plus provenance). */
  public static final int MODEL_MAX_BYTES = 128 * 1024 * 1024;

  public Topics {
    Objects.requireNonNull(prefix, "prefix");
    if (partitions <= 0) {
      throw new IllegalArgumentException("topics.partitions must be > 0, was " + partitions);
    }
    if (replicationFactor <= 0) {
      throw new IllegalArgumentException("topics.replication must be > 0, was " + replicationFactor);
    }
    if (modelsTopic != null && !modelsTopic.matches("[A-Za-z0-9._-]{1,249}")) {
      throw new IllegalArgumentException("topics.models-topic must be 1 to 249 of A-Z a-z 0-9 . _ -, was '" + modelsTopic
          + "' (set --models-topic)");
    }
  }

  /** Topics named {@code <prefix><name>}, {@code models} included. */
  public Topics(String prefix, int partitions, short replicationFactor) {
    this(prefix, partitions, replicationFactor, null);
  }

  /** Default names, 2 partitions, replication 1 (the embedded single-broker run). */
  public static Topics defaults() {
    return new Topics("", 2, (short) 1);
  }

  public String raw() {
    return prefix + "images.raw";
  }

  /** Compacted index of every image id published to {@link #raw()} (ingest's de-duplication). */
  public String index() {
    return prefix + "images.index";
  }

  public String augmented() {
    return prefix + "images.augmented";
  }

  /** Augmented samples as a frozen prefix's activations ({@code AugmentedSample.activations}), for the trainer. */
  public String features() {
    return prefix + "images.features";
  }

  public String rejected() {
    return prefix + "images.rejected";
  }

  public String models() {
    return modelsTopic != null ? modelsTopic : prefix + "models";
  }

  public String trainingMetrics() {
    return prefix + "training.metrics";
  }

  public String inferenceRequests() {
    return prefix + "inference.requests";
  }

  public String inferenceResults() {
    return prefix + "inference.results";
  }

  /** True labels of answered predictions ({@code Feedback}), from clients or serving. */
  public String feedback() {
    return prefix + "feedback";
  }

  /** Serving's decisions about versions ({@code ModelEvent}: rollbacks, canary outcomes). */
  public String modelEvents() {
    return prefix + "model.events";
  }

  /** Every topic with its partitions and configs, in pipeline order. */
  public List<TopicSpec> specs() {
    String week = String.valueOf(7L * 24 * 3600 * 1000);
    return List.of(
        new TopicSpec(raw(), partitions, replicationFactor, Map.of(
            "max.message.bytes", String.valueOf(RAW_MAX_BYTES), "retention.ms", "-1")),
        // One small record per image ever published; compacted so it holds each id once, forever.
        new TopicSpec(index(), partitions, replicationFactor, Map.of("cleanup.policy", "compact", "retention.ms", "-1")),
        new TopicSpec(augmented(), partitions, replicationFactor, Map.of(
            "max.message.bytes", String.valueOf(AUGMENTED_MAX_BYTES), "retention.ms", week)),
        new TopicSpec(features(), partitions, replicationFactor, Map.of(
            "max.message.bytes", String.valueOf(FEATURES_MAX_BYTES), "retention.ms", week)),
        new TopicSpec(rejected(), partitions, replicationFactor, Map.of(
            "max.message.bytes", String.valueOf(RAW_MAX_BYTES), "retention.ms", "-1")),
        // One partition: versions are totally ordered. Keyed by version, compacted: every version stays.
        new TopicSpec(models(), 1, replicationFactor, Map.of(
            "max.message.bytes", String.valueOf(MODEL_MAX_BYTES), "cleanup.policy", "compact",
            "retention.ms", "-1")),
        new TopicSpec(trainingMetrics(), 1, replicationFactor, Map.of("retention.ms", week)),
        new TopicSpec(inferenceRequests(), partitions, replicationFactor, Map.of(
            "max.message.bytes", String.valueOf(RAW_MAX_BYTES), "retention.ms", week)),
        new TopicSpec(inferenceResults(), partitions, replicationFactor, Map.of("retention.ms", week)),
        new TopicSpec(feedback(), partitions, replicationFactor, Map.of("retention.ms", week)),
        // One partition: events about versions are totally ordered, like the versions.
        new TopicSpec(modelEvents(), 1, replicationFactor, Map.of("retention.ms", "-1")));
  }

  /** The spec of topic {@code name}. */
  public TopicSpec spec(String name) {
    return specs().stream().filter(s -> s.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("unknown topic " + name));
  }
}
