package dev.streamfit.schemas;

import java.util.Map;
import java.util.Objects;

/**
 * Definition of one topic: name, partitions, replication factor and topic-level configs.
 * Immutable.
 *
 * @param name topic name
 * @param partitions number of partitions, &gt; 0
 * @param replicationFactor replication factor, &gt; 0
 * @param configs topic-level configs (e.g. {@code max.message.bytes}); never null
 */
public record TopicSpec(String name, int partitions, short replicationFactor, Map<String, String> configs) {
  public TopicSpec {
    Objects.requireNonNull(name, "name");
    if (partitions <= 0) {
      throw new IllegalArgumentException("partitions of " + name + " must be > 0, was " + partitions);
    }
    if (replicationFactor <= 0) {
      throw new IllegalArgumentException("replication of " + name + " must be > 0, was " + replicationFactor);
    }
    configs = Map.copyOf(configs);
  }

  /** Largest record this topic accepts, in bytes (from {@code max.message.bytes}). */
  public int maxMessageBytes() {
    return Integer.parseInt(configs.getOrDefault("max.message.bytes", "1048588"));
  }
}
