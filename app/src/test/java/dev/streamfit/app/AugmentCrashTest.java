package dev.streamfit.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.common.Hashes;
import dev.streamfit.schemas.RawImage;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.common.kafka.TopicsAdmin;
import dev.streamfit.testkit.ChildProcesses;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The augment stage as its own process (Kafka Streams, exactly_once_v2, 3 epoch passes), SIGKILLed 3
 * times mid-stream while it processes 510 raw images (400 train, 100 held-out, 10 corrupt), then left
 * to finish. Read committed, every train image appears exactly once per epoch in images.augmented,
 * every held-out image exactly once, every corrupt one exactly once in images.rejected: nothing lost,
 * nothing duplicated.
 *
 * <p>Progress is the stage's own committed input offsets, summed over its passes (read through the admin
 * client, so the test never lags behind the process): each kill lands at a random point of a band of the
 * work, and after each kill the test checks that committed work was left for the next process, so every
 * kill is known to have landed mid-stream.
 */
@ExtendWith(KafkaBrokerExtension.class)
class AugmentCrashTest {
  static final int EPOCHS = 3;
  static final String PREFIX = "acrash-";
  /** Kill i lands when committed progress reaches a random point in [low, high) of all the work. */
  static final double[][] KILL_BANDS = {{0.08, 0.18}, {0.30, 0.42}, {0.52, 0.62}};

  @TempDir
  Path work;

  @Test
  void sigkilledAugmentStageProducesEveryOutputExactlyOnce(KafkaBroker broker) throws Exception {
    Topics topics = new Topics(PREFIX, 2, (short) 1);
    TopicsAdmin.ensure(broker.bootstrapServers(), topics, Duration.ofSeconds(30));
    Map<String, Split> inputs = produceInputs(broker.bootstrapServers(), topics);
    long train = inputs.values().stream().filter(s -> s == Split.TRAIN).count();
    long held = inputs.values().stream().filter(s -> s == Split.VALIDATION || s == Split.TEST).count();
    long corrupt = inputs.values().stream().filter(s -> s == Split.UNLABELED).count();
    long expectedSamples = train * EPOCHS + held;
    long totalWork = (long) inputs.size() * EPOCHS; // raw offsets every pass commits

    try (ChildProcesses children = new ChildProcesses();
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      try {
        Random random = new Random(5);
        for (int i = 0; i < KILL_BANDS.length; i++) {
          long target = (long) (totalWork * (KILL_BANDS[i][0] + random.nextDouble() * (KILL_BANDS[i][1] - KILL_BANDS[i][0])));
          Process p = startAugment(children, broker.bootstrapServers(), i, -1);
          long until = System.currentTimeMillis() + 120_000;
          while (p.isAlive() && progress(admin, topics) < target && System.currentTimeMillis() < until) {
            Thread.sleep(20);
          }
          assertThat(p.isAlive()).as("augment process %d alive at its kill point; log:%n%s", i + 1,
              ChildProcesses.tail(log(i), 40)).isTrue();
          assertThat(progress(admin, topics)).as("process %d reached %d of %d within 120 s", i + 1, target, totalWork)
              .isGreaterThanOrEqualTo(target);
          p.destroyForcibly(); // SIGKILL, mid-stream: outputs so far are committed, the open transaction is not
          assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
          long after = progress(admin, topics);
          System.out.printf("augment crash test: kill %d at %d of %d committed input offsets (target %d)%n", i + 1, after,
              totalWork, target);
          assertThat(after).as("kill %d landed mid-stream: work left for the next process", i + 1).isLessThan(totalWork);
        }

        Process last = startAugment(children, broker.bootstrapServers(), KILL_BANDS.length, 0);
        long deadline = System.currentTimeMillis() + 180_000;
        while (progress(admin, topics) < totalWork && last.isAlive() && System.currentTimeMillis() < deadline) {
          Thread.sleep(100);
        }
        assertThat(progress(admin, topics)).as("all passes committed; last log:%n%s",
            ChildProcesses.tail(log(KILL_BANDS.length), 40)).isEqualTo(totalWork);

        // Every output exactly once, read committed to the end of each partition.
        Map<String, Integer> samples = new HashMap<>();
        Map<String, Integer> rejections = new HashMap<>();
        readCommitted(admin, broker.bootstrapServers(), topics, samples, rejections);
        for (var e : inputs.entrySet()) {
          String id = e.getKey();
          switch (e.getValue()) {
            case TRAIN -> {
              for (int epoch = 0; epoch < EPOCHS; epoch++) {
                assertThat(samples.getOrDefault(id + "@" + epoch, 0)).as("train %s epoch %d", id, epoch).isEqualTo(1);
              }
            }
            case VALIDATION, TEST -> assertThat(samples.getOrDefault(id + "@0", 0)).as("held-out %s", id).isEqualTo(1);
            default -> {
              assertThat(rejections.getOrDefault(id, 0)).as("corrupt %s", id).isEqualTo(1);
              assertThat(samples.keySet()).noneMatch(k -> k.startsWith(id + "@"));
            }
          }
        }
        assertThat(total(samples)).isEqualTo(expectedSamples);
        assertThat(total(rejections)).isEqualTo(corrupt);

        // The last process serves Prometheus metrics: per-op timers of every pass it ran, Streams' own metrics.
        String metrics = awaitMetrics(log(KILL_BANDS.length), List.of("streamfit_augment_records_in_total{pass=\"0\"}",
            "streamfit_augment_op_seconds_count{op=\"geometry\",pass=\"1\"}", "kafka_stream"));
        assertThat(metrics).contains("streamfit_augment_op_seconds_count{op=\"geometry\",pass=\"2\"}");
        assertThat(dev.streamfit.testkit.Promtool.check(metrics)).as("promtool check metrics").isEmpty();
        last.destroy(); // SIGTERM: a clean shutdown
        assertThat(last.waitFor(60, TimeUnit.SECONDS)).as("augment stops on SIGTERM").isTrue();
        System.out.printf("augment crash test: %d kills; %d inputs → %d samples + %d rejections, each exactly once%n",
            KILL_BANDS.length, inputs.size(), total(samples), total(rejections));
      } catch (Throwable t) {
        for (int i = 0; i <= KILL_BANDS.length; i++) {
          System.out.printf("---- augment process %d log (tail)%n%s%n", i + 1, ChildProcesses.tail(log(i), 60));
        }
        throw t;
      }
    }
  }

  /** Raw offsets committed by every pass of the stage (its consumer groups), summed. */
  private static long progress(Admin admin, Topics topics) throws Exception {
    long sum = 0;
    for (int pass = 0; pass < EPOCHS; pass++) {
      String group = PREFIX + "streamfit-augment" + (pass == 0 ? "" : "-epoch-" + pass);
      Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed;
      try {
        committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        if (e.getCause() instanceof org.apache.kafka.common.errors.GroupIdNotFoundException) {
          continue; // that pass has not started yet
        }
        throw e;
      }
      for (var e : committed.entrySet()) {
        if (e.getKey().topic().equals(topics.raw()) && e.getValue() != null) {
          sum += e.getValue().offset();
        }
      }
    }
    return sum;
  }

  /** The partitions' end offsets if every last stable offset equals its high watermark, else null. */
  static Map<TopicPartition, Long> settledEnd(Admin admin, List<TopicPartition> parts) throws Exception {
    Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new HashMap<>();
    parts.forEach(tp -> latest.put(tp, org.apache.kafka.clients.admin.OffsetSpec.latest()));
    Map<TopicPartition, Long> out = new HashMap<>();
    var committed = admin.listOffsets(latest, new org.apache.kafka.clients.admin.ListOffsetsOptions(
        org.apache.kafka.common.IsolationLevel.READ_COMMITTED)).all().get(10, TimeUnit.SECONDS);
    var all = admin.listOffsets(latest, new org.apache.kafka.clients.admin.ListOffsetsOptions(
        org.apache.kafka.common.IsolationLevel.READ_UNCOMMITTED)).all().get(10, TimeUnit.SECONDS);
    for (TopicPartition tp : parts) {
      if (committed.get(tp).offset() != all.get(tp).offset()) {
        return null;
      }
      out.put(tp, committed.get(tp).offset());
    }
    return out;
  }

  /** Polls the metrics URL that process log {@code log} names until the body has every marker (60 s). */
  private static String awaitMetrics(Path log, List<String> markers) throws Exception {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    long deadline = System.currentTimeMillis() + 60_000;
    String url = null;
    String body = "";
    int status = -1;
    while (System.currentTimeMillis() < deadline) {
      if (url == null) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("metrics at (http://\\S+/metrics)")
            .matcher(Files.exists(log) ? Files.readString(log) : "");
        url = m.find() ? m.group(1) : null;
      }
      if (url != null) {
        var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        status = r.statusCode();
        body = r.body();
        String b = body;
        if (status == 200 && markers.stream().allMatch(b::contains)) {
          return body;
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("metrics at " + url + " (HTTP " + status + ") lack one of " + markers + " after 60 s:\n"
        + body.lines().filter(l -> l.startsWith("streamfit_")).collect(java.util.stream.Collectors.joining("\n")));
  }

  private Path log(int process) {
    return work.resolve("augment-" + (process + 1) + ".log");
  }

  static long total(Map<String, Integer> m) {
    return m.values().stream().mapToLong(Integer::longValue).sum();
  }

  /**
   * Reads images.augmented and images.rejected read_committed to their end, once no transaction is open on
   * them: a killed process's last transaction stays open (holding the last stable offset back, and with it
   * everything committed after it) until the coordinator aborts it on its timeout.
   */
  private static void readCommitted(Admin admin, String bootstrap, Topics topics, Map<String, Integer> samples,
      Map<String, Integer> rejections) throws Exception {
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.AUGMENTED_MAX_BYTES),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (String t : List.of(topics.augmented(), topics.rejected())) {
        c.partitionsFor(t).forEach(p -> parts.add(new TopicPartition(t, p.partition())));
      }
      c.assign(parts);
      c.seekToBeginning(parts);
      long deadline = System.currentTimeMillis() + 120_000;
      Map<TopicPartition, Long> end = settledEnd(admin, parts);
      while (end == null && System.currentTimeMillis() < deadline) {
        Thread.sleep(200);
        end = settledEnd(admin, parts);
      }
      assertThat(end).as("no open transaction on the output topics within 120 s").isNotNull();
      Map<TopicPartition, Long> stable = end;
      while (parts.stream().anyMatch(tp -> c.position(tp) < stable.get(tp)) && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.topic().equals(topics.augmented())) {
            AugmentedSample s = AvroSerde.of(AugmentedSample.class).decode(r.value());
            samples.merge(s.getSourceId() + "@" + s.getEpoch(), 1, Integer::sum);
          } else {
            Rejection j = AvroSerde.of(Rejection.class).decode(r.value());
            rejections.merge(j.getOriginalKey(), 1, Integer::sum);
          }
        }
      }
    }
  }

  private Process startAugment(ChildProcesses children, String bootstrap, int process, int metricsPort)
      throws Exception {
    List<String> cmd = ChildProcesses.javaCommand(List.of("-Xmx1g"), "dev.streamfit.app.Main", List.of("augment",
        "--bootstrap-servers", bootstrap, "--topic-prefix", PREFIX, "--epochs", String.valueOf(EPOCHS),
        "--image-size", "160", "--instance-id", "crash-1", "--metrics-port", String.valueOf(metricsPort),
        "--work-dir", work.toString()));
    return children.start(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log(process).toFile()));
  }

  /** 200 train images × 2 (distinct ids), the 100 validation/test images, 10 corrupt (truncated) ones. */
  private static Map<String, Split> produceInputs(String bootstrap, Topics topics) throws Exception {
    Path data = Path.of(System.getProperty("streamfit.root", "..")).resolve("data/clothing-sample");
    List<Path> files;
    try (Stream<Path> s = Files.walk(data)) {
      files = s.filter(f -> f.toString().endsWith(".jpg")).sorted().toList();
    }
    Map<String, Split> inputs = new java.util.LinkedHashMap<>();
    AvroSerde<RawImage> serde = AvroSerde.of(RawImage.class);
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1, ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.RAW_MAX_BYTES),
        new StringSerializer(), new ByteArraySerializer())) {
      List<Future<?>> sent = new ArrayList<>();
      int corrupt = 0;
      for (Path f : files) {
        Split split = Split.valueOf(data.relativize(f).getName(0).toString().toUpperCase(java.util.Locale.ROOT));
        byte[] bytes = Files.readAllBytes(f);
        int copies = split == Split.TRAIN ? 2 : 1;
        for (int c = 0; c < copies; c++) {
          String id = Hashes.sha256Hex(bytes) + "-" + c;
          inputs.put(id, split);
          sent.add(p.send(new ProducerRecord<>(topics.raw(), id, serde.encode(raw(id, bytes, split, f)))));
        }
        if (split == Split.TEST && corrupt < 10) {
          byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length / 2);
          String id = Hashes.sha256Hex(cut);
          inputs.put(id, Split.UNLABELED); // marks "expect a rejection"
          sent.add(p.send(new ProducerRecord<>(topics.raw(), id, serde.encode(raw(id, cut, Split.TRAIN, f)))));
          corrupt++;
        }
      }
      for (Future<?> f : sent) {
        f.get();
      }
    }
    return inputs;
  }

  private static RawImage raw(String id, byte[] bytes, Split split, Path f) {
    return RawImage.newBuilder().setId(id).setContent(ByteBuffer.wrap(bytes)).setMediaType("image/jpeg")
        .setLabel(f.getParent().getFileName().toString()).setSplit(split).setSource(f.toString())
        .setIngestedAt(Instant.now()).build();
  }
}
