package dev.streamfit.app;

import dev.streamfit.common.kafka.KafkaClients;
import dev.streamfit.common.kafka.TopicReader;
import dev.streamfit.pipeline.KafkaOptions;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.Topics;
import dev.streamfit.schemas.TrainingMetrics;
import dev.streamfit.serving.RunsTable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamfit runs}: the training runs recorded on a cluster's {@code training.metrics} topics (every topic prefix
 * unless {@code --topic-prefix} is given), side by side as a Markdown table ({@link RunsTable}).
 */
@Command(name = "runs", mixinStandardHelpOptions = true,
    description = {"Print the training runs on a cluster side by side: a Markdown row per run with the configuration "
        + "keys that differ, the champion's validation and test accuracy, the best validation accuracy and the span.",
        "Reads every *training.metrics topic unless --topic-prefix is given (runs of several demos with their own "
        + "prefixes on one broker compare in one table)."})
public final class RunsCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Option(names = "--model", description = "Only runs of this model.")
  String model;

  @Option(names = "--since", description = "Only runs whose first evaluation is at or after this instant (ISO-8601).")
  Instant since;

  @Override
  public Integer call() {
    if (kafka.bootstrapServers == null) {
      throw new IllegalArgumentException("runs reads the runs recorded on a running cluster: give --bootstrap-servers "
          + "(an embedded broker would start empty)");
    }
    String suffix = new Topics("", 1, (short) 1).trainingMetrics();
    List<String> topics;
    if (kafka.topicPrefix.isEmpty()) {
      try (KafkaConsumer<String, byte[]> c = KafkaClients.consumer(kafka.bootstrapServers)) {
        topics = c.listTopics(Duration.ofSeconds(30)).keySet().stream().filter(t -> t.endsWith(suffix)).sorted().toList();
      }
    } else {
      topics = List.of(kafka.topics().trainingMetrics());
    }
    List<TrainingMetrics> all = read(kafka.bootstrapServers, topics);
    List<RunsTable.Run> runs = RunsTable.group(all).stream()
        .filter(r -> model == null || model.equals(r.model()))
        .filter(r -> since == null || !r.evaluations().get(0).getEvaluatedAt().isBefore(since))
        .sorted(Comparator.comparing(r -> r.evaluations().get(0).getEvaluatedAt())).toList();
    System.out.print(RunsTable.markdown(runs));
    System.out.println("RESULT runs.count " + runs.size());
    return 0;
  }

  /** Every evaluation on {@code topics}, each topic in order; records that are not evaluations are skipped, named. */
  static List<TrainingMetrics> read(String bootstrap, List<String> topics) {
    AvroSerde<TrainingMetrics> serde = AvroSerde.of(TrainingMetrics.class);
    List<TrainingMetrics> all = new ArrayList<>();
    for (String t : topics) {
      TopicReader.readAll(bootstrap, t, TopicReader.End.LAST_STABLE, Duration.ofSeconds(60), r -> {
        try {
          all.add(serde.decode(r.value()));
        } catch (RuntimeException e) {
          System.err.println("runs: " + t + " offset " + r.offset() + " is not a TrainingMetrics record; skipped");
        }
      });
    }
    return all;
  }
}
