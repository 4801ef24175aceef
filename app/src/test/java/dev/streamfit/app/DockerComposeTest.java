package dev.streamfit.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.schemas.TopicSpec;
import dev.streamfit.schemas.Topics;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * docker-compose.yml cannot start here (no Docker), so it is checked against the code: every stage service
 * runs a real subcommand with valid options, its bootstrap list names every broker service, all stages agree on
 * the topic namespace and sizing, and the brokers' settings fit the topics the code defines (replication vs
 * brokers and min ISR, message sizes vs {@code max.message.bytes}, partitions vs replicas).
 */
class DockerComposeTest {
  @SuppressWarnings("unchecked")
  static Map<String, Object> services() throws Exception {
    Path compose = Path.of(System.getProperty("streamfit.root", "..")).resolve("docker-compose.yml");
    try (Reader r = Files.newBufferedReader(compose)) {
      Map<String, Object> root = new Yaml().load(r); // resolves anchors and merge keys (<<)
      return (Map<String, Object>) root.get("services");
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void servicesRunRealSubcommandsAndMatchTheCodesTopicsAndBrokers() throws Exception {
    Map<String, Object> services = services();
    Map<String, Map<String, Object>> brokers = new LinkedHashMap<>();
    services.forEach((name, s) -> {
      Map<String, Object> svc = (Map<String, Object>) s;
      if (String.valueOf(svc.get("image")).startsWith("apache/kafka:")) {
        brokers.put(name, (Map<String, Object>) svc.get("environment"));
      }
    });
    assertThat(brokers).hasSize(3);
    Set<String> nodeIds = new HashSet<>();
    Set<String> advertised = new HashSet<>();
    for (Map.Entry<String, Map<String, Object>> b : brokers.entrySet()) {
      Map<String, Object> env = b.getValue();
      nodeIds.add(String.valueOf(env.get("KAFKA_NODE_ID")));
      String adv = String.valueOf(env.get("KAFKA_ADVERTISED_LISTENERS"));
      assertThat(adv).as(b.getKey()).isEqualTo("PLAINTEXT://" + b.getKey() + ":9092");
      advertised.add(b.getKey() + ":9092");
      assertThat(String.valueOf(env.get("KAFKA_CONTROLLER_QUORUM_VOTERS")).split(",")).as(b.getKey())
          .containsExactlyInAnyOrder(brokers.keySet().stream().map(n -> brokers.get(n).get("KAFKA_NODE_ID") + "@" + n + ":9093")
              .toArray(String[]::new));
      int minIsr = Integer.parseInt(String.valueOf(env.get("KAFKA_MIN_INSYNC_REPLICAS")));
      assertThat(minIsr).as("min.insync.replicas leaves one broker to lose").isEqualTo(brokers.size() - 1);
      for (String key : List.of("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
          "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "KAFKA_DEFAULT_REPLICATION_FACTOR")) {
        assertThat(Integer.parseInt(String.valueOf(env.get(key)))).as(b.getKey() + " " + key).isEqualTo(brokers.size());
      }
      assertThat(Integer.parseInt(String.valueOf(env.get("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR")))).isEqualTo(minIsr);
      long maxTopicMessage = Topics.defaults().specs().stream().mapToLong(TopicSpec::maxMessageBytes).max().orElseThrow();
      assertThat(Long.parseLong(String.valueOf(env.get("KAFKA_MESSAGE_MAX_BYTES")))).as("message.max.bytes")
          .isGreaterThanOrEqualTo(maxTopicMessage);
      assertThat(Long.parseLong(String.valueOf(env.get("KAFKA_REPLICA_FETCH_MAX_BYTES")))).as("replica.fetch.max.bytes")
          .isGreaterThanOrEqualTo(maxTopicMessage);
      assertThat(env.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE")).as("topics come from Topics, not auto-creation")
          .isEqualTo("false");
    }
    assertThat(nodeIds).hasSize(3);

    Set<String> subcommands = Main.commandLine().getSubcommands().keySet();
    List<String> stages = new ArrayList<>();
    Set<Topics> topicConfigs = new HashSet<>();
    Map<String, Integer> replicas = new LinkedHashMap<>();
    services.forEach((name, s) -> {
      if (brokers.containsKey(name)) {
        return;
      }
      Map<String, Object> svc = (Map<String, Object>) s;
      List<String> cmd = ((List<Object>) svc.get("command")).stream().map(String::valueOf).toList();
      assertThat(subcommands).as("service %s", name).contains(cmd.get(0));
      // picocli parses the full argument list: unknown options or bad values fail here.
      CommandLine.ParseResult sub = Main.commandLine().parseArgs(cmd.toArray(String[]::new)).subcommand();
      String bootstrap = sub.matchedOptionValue("--bootstrap-servers", (String) null);
      assertThat(bootstrap).as("service %s names every broker", name).isNotNull();
      assertThat(Set.of(bootstrap.split(","))).as("service %s", name).isEqualTo(advertised);
      Topics topics = new Topics(sub.matchedOptionValue("--topic-prefix", ""), sub.matchedOptionValue("--partitions", 2),
          sub.matchedOptionValue("--replication-factor", (short) 1));
      topicConfigs.add(topics);
      Object deploy = svc.get("deploy");
      replicas.put(cmd.get(0), deploy == null ? 1 : ((Number) ((Map<String, Object>) deploy).get("replicas")).intValue());
      stages.add(cmd.get(0));
    });
    assertThat(stages).containsExactlyInAnyOrder("ingest", "augment", "features", "train", "serve");
    assertThat(topicConfigs).as("every stage agrees on topic prefix, partitions and replication").hasSize(1);
    Topics topics = topicConfigs.iterator().next();
    assertThat((int) topics.replicationFactor()).as("replication = brokers").isEqualTo(brokers.size());
    assertThat(replicas).containsEntry("augment", 2).containsEntry("features", 2).containsEntry("serve", 2).containsEntry("train", 1);
    for (TopicSpec spec : topics.specs()) {
      assertThat(spec.replicationFactor()).as(spec.name()).isEqualTo((short) brokers.size());
      if (spec.name().equals(topics.raw()) || spec.name().equals(topics.inferenceRequests())) {
        assertThat(spec.partitions()).as(spec.name() + ": a partition per replica at least")
            .isGreaterThanOrEqualTo(Math.max(Math.max(replicas.get("augment"), replicas.get("features")), replicas.get("serve")));
      }
    }
  }
}
