package dev.streamfit.app;

import dev.streamfit.broker.EmbeddedKafkaBroker;
import dev.streamfit.ingest.IngestConfig;
import dev.streamfit.ingest.IngestStage;
import dev.streamfit.ingest.IngestSummary;
import dev.streamfit.schemas.Topics;
import dev.streamfit.schemas.TopicsAdmin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code streamfit bench ingest}: img/s of {@code ingest} publishing a dataset folder (read, hash, edge
 * checks, Avro, transactions with the index) beside the raw Kafka producer limit: the same files' bytes,
 * already in memory, sent as fast as one idempotent acks=all producer can to the same broker in the same run.
 * Ingest's figure is given end to end and after its start-up (topics checked, index read, transactional
 * producer initialised: a fixed ≈ 0.2 s that is half of the run on a 106 MB dataset).
 */
@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = "Ingest img/s for a dataset folder vs the raw Kafka producer limit on the same broker, same run.")
public final class BenchIngestCommand implements Callable<Integer> {
  @Option(names = "--data", defaultValue = "../shared/data/clothing-dataset-small",
      description = "Folder laid out as <split>/<class>/<image> (default ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--runs", defaultValue = "3", description = "Runs of each, fresh topics each time; best reported (default ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--bootstrap-servers", description = "Use this cluster instead of an embedded broker.")
  String bootstrapServers;

  @Override
  public Integer call() throws Exception {
    if (runs < 1) {
      throw new IllegalArgumentException("bench.runs must be >= 1, was " + runs + " (set --runs)");
    }
    IngestStage probe = new IngestStage(IngestConfig.of("unused:0", Topics.defaults(), data));
    List<byte[]> files = new ArrayList<>();
    long totalBytes = 0;
    for (Path f : probe.files()) {
      byte[] b = Files.readAllBytes(f);
      files.add(b);
      totalBytes += b.length;
    }
    System.err.printf(Locale.ROOT, "bench ingest: %d files, %.1f MB, from %s%n", files.size(), totalBytes / 1e6, data);
    EmbeddedKafkaBroker broker = bootstrapServers == null ? EmbeddedKafkaBroker.start() : null;
    String bootstrap = broker != null ? broker.bootstrapServers() : bootstrapServers;
    double bestRaw = 0;
    double bestIngest = 0;
    double bestPublishing = 0;
    List<String> rows = new ArrayList<>();
    try {
      for (int run = 1; run <= runs; run++) {
        Topics rawTopics = new Topics("bench-raw-" + run + "-" + System.currentTimeMillis() + "-", 2, (short) 1);
        TopicsAdmin.ensure(bootstrap, rawTopics, Duration.ofSeconds(30));
        double raw = rawLimit(bootstrap, rawTopics.raw(), files);
        Topics ingestTopics = new Topics("bench-ingest-" + run + "-" + System.currentTimeMillis() + "-", 2, (short) 1);
        TopicsAdmin.ensure(bootstrap, ingestTopics, Duration.ofSeconds(30));
        IngestSummary s = new IngestStage(IngestConfig.of(bootstrap, ingestTopics, data)).run(null);
        if (s.published() + s.duplicates() + s.rejected() != files.size()) {
          throw new IllegalStateException("ingest handled " + (s.published() + s.duplicates() + s.rejected()) + " of "
              + files.size() + " files");
        }
        double ingest = s.published() / s.seconds();
        double publishing = s.publishingImagesPerSecond();
        bestRaw = Math.max(bestRaw, raw);
        bestIngest = Math.max(bestIngest, ingest);
        bestPublishing = Math.max(bestPublishing, publishing);
        rows.add(String.format(Locale.ROOT, "%-4d %11.1f %13.1f %7.1f %% %15.1f %7.1f %% %10.0f   (%d published, %d duplicates,"
            + " %d rejected %s)", run, raw, ingest, 100 * ingest / raw, publishing, 100 * publishing / raw,
            1000 * s.startupSeconds(), s.published(), s.duplicates(), s.rejected(), s.rejectedByReason()));
        System.err.println("  run " + rows.get(rows.size() - 1));
      }
    } finally {
      if (broker != null) {
        broker.close();
      }
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "%-4s %11s %13s %9s %15s %9s %10s%n", "run", "raw img/s", "ingest img/s", "ratio",
        "after start-up", "ratio", "start-up ms");
    rows.forEach(System.out::println);
    System.out.printf(Locale.ROOT, "RESULT ingest.img_s %.1f%n", bestIngest);
    System.out.printf(Locale.ROOT, "RESULT ingest.kafka_limit_img_s %.1f%n", bestRaw);
    System.out.printf(Locale.ROOT, "RESULT ingest.ratio %.3f%n", bestIngest / bestRaw);
    System.out.printf(Locale.ROOT, "RESULT ingest.publishing_img_s %.1f%n", bestPublishing);
    System.out.printf(Locale.ROOT, "RESULT ingest.publishing_ratio %.3f%n", bestPublishing / bestRaw);
    return 0;
  }

  /** img/s of one idempotent acks=all producer sending {@code files} (in memory) and waiting for every ack. */
  private static double rawLimit(String bootstrap, String topic, List<byte[]> files) throws Exception {
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.RAW_MAX_BYTES, ProducerConfig.LINGER_MS_CONFIG, 5,
        ProducerConfig.BATCH_SIZE_CONFIG, 1024 * 1024), new StringSerializer(), new ByteArraySerializer())) {
      p.partitionsFor(topic); // metadata before the clock starts, as ingest fetches it before publishing
      long t0 = System.nanoTime();
      List<Future<RecordMetadata>> acks = new ArrayList<>(files.size());
      int i = 0;
      for (byte[] b : files) {
        acks.add(p.send(new ProducerRecord<>(topic, "k" + i++, b)));
      }
      for (Future<RecordMetadata> f : acks) {
        f.get();
      }
      return files.size() / ((System.nanoTime() - t0) / 1e9);
    }
  }
}
