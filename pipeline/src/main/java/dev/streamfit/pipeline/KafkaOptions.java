package dev.streamfit.pipeline;

import dev.streamfit.schemas.Topics;
import picocli.CommandLine.Option;

/** Options shared by every command that talks to Kafka. */
public final class KafkaOptions {
  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,…]",
      description = "Kafka cluster to use. Default for demo: an embedded single-node KRaft broker; for stage commands: 127.0.0.1:9092.")
  public String bootstrapServers;

  @Option(names = "--topic-prefix", defaultValue = "", description = "Prefix for every topic name (default none).")
  public String topicPrefix;

  @Option(names = "--partitions", defaultValue = "2", description = "Partitions of data topics when creating them (default ${DEFAULT-VALUE}).")
  public int partitions;

  @Option(names = "--replication-factor", defaultValue = "1", description = "Replication factor when creating topics (default ${DEFAULT-VALUE}).")
  public short replication;

  @Option(names = "--models-topic", description = "Full name of the models topic, when pipelines with different "
      + "--topic-prefix publish to one so that one serve answers for all of them (default <prefix>models).")
  public String modelsTopic;

  public Topics topics() {
    return new Topics(topicPrefix, partitions, replication, modelsTopic);
  }

  public String bootstrapOrDefault() {
    return bootstrapServers == null ? "127.0.0.1:9092" : bootstrapServers;
  }
}
