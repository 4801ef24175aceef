package dev.streamfit.features;

import static dev.streamfit.common.ConfigChecks.range;

import dev.streamfit.engine.FrozenPrefix;
import dev.streamfit.schemas.Topics;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Configuration of the features stage. Immutable; validated on construction (errors name the key, the bound, the
 * value and the flag).
 *
 * @param bootstrapServers Kafka {@code bootstrap.servers}
 * @param applicationId base of the Kafka Streams {@code application.id}; the prefix's short hash is appended
 *     ({@link #streamsApplicationId()}), so a new prefix is a new application that reads {@code images.augmented}
 *     from its start again and recomputes every sample's activations
 * @param topics topic catalogue (reads {@link Topics#augmented()}, writes {@link Topics#features()} and
 *     {@link Topics#rejected()})
 * @param prefix the frozen part of the network to run: the trainer's base, image size and fine-tuned blocks
 * @param streamThreads Kafka Streams threads, each with its own copy of the prefix and one OpenMP thread, in [1, 64]
 * @param stateDir Kafka Streams state directory
 * @param instanceId {@code group.instance.id} for static membership; empty = dynamic
 */
public record FeaturesConfig(String bootstrapServers, String applicationId, Topics topics, FrozenPrefix prefix,
    int streamThreads, Path stateDir, String instanceId) {

  public FeaturesConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(applicationId, "applicationId");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(instanceId, "instanceId");
    range("features.stream-threads", streamThreads, 1, 64, "--stream-threads");
    if (!applicationId.matches("[A-Za-z0-9._-]{1,200}")) {
      throw new IllegalArgumentException("features.application-id must match [A-Za-z0-9._-]{1,200}, was '"
          + applicationId + "' (set --application-id)");
    }
    if (!instanceId.matches("[A-Za-z0-9._-]{0,200}")) {
      throw new IllegalArgumentException("features.instance-id must match [A-Za-z0-9._-]{0,200}, was '" + instanceId
          + "' (set --instance-id)");
    }
  }

  /** Defaults: application {@code streamfit-features}, one thread per core (at most 64), dynamic membership. */
  public static FeaturesConfig defaults(String bootstrapServers, Topics topics, FrozenPrefix prefix, Path stateDir) {
    return new FeaturesConfig(bootstrapServers, "streamfit-features", topics, prefix,
        Math.min(64, Runtime.getRuntime().availableProcessors()), stateDir, "");
  }

  public FeaturesConfig withStreamThreads(int n) {
    return new FeaturesConfig(bootstrapServers, applicationId, topics, prefix, n, stateDir, instanceId);
  }

  /** {@code <applicationId>-<prefix short hash>}: one application per prefix. */
  public String streamsApplicationId() {
    return applicationId + "-" + prefix.shortHash();
  }
}
