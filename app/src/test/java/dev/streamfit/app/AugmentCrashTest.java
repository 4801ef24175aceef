package dev.streamfit.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.Hashes;
import dev.streamfit.schemas.RawImage;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.schemas.TopicsAdmin;
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
 */
@ExtendWith(KafkaBrokerExtension.class)
class AugmentCrashTest {
  static final int EPOCHS = 3;

  @TempDir
  Path work;

  @Test
  void sigkilledAugmentStageProducesEveryOutputExactlyOnce(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("acrash-", 2, (short) 1);
    TopicsAdmin.ensure(broker.bootstrapServers(), topics, Duration.ofSeconds(30));
    Map<String, Split> inputs = produceInputs(broker.bootstrapServers(), topics);
    long train = inputs.values().stream().filter(s -> s == Split.TRAIN).count();
    long held = inputs.values().stream().filter(s -> s == Split.VALIDATION || s == Split.TEST).count();
    long corrupt = inputs.values().stream().filter(s -> s == Split.UNLABELED).count();
    long expectedSamples = train * EPOCHS + held;

    try (KafkaConsumer<String, byte[]> out = committedReader(broker.bootstrapServers(), topics)) {
      Map<String, Integer> samples = new HashMap<>();
      Map<String, Integer> rejections = new HashMap<>();
      Random random = new Random(5);
      int kills = 0;
      for (int i = 0; i < 3; i++) {
        Process p = startAugment(broker.bootstrapServers());
        long before = total(samples);
        long target = before + 60 + random.nextInt(120);
        long until = System.currentTimeMillis() + 90_000;
        while (p.isAlive() && total(samples) < target && total(samples) < expectedSamples
            && System.currentTimeMillis() < until) {
          read(out, samples, rejections);
        }
        if (p.isAlive() && total(samples) < expectedSamples) {
          p.destroyForcibly(); // SIGKILL, mid-stream: outputs so far are committed, the rest are not
          kills++;
        }
        p.waitFor(30, TimeUnit.SECONDS);
        System.out.printf("augment crash test: kill %d after %d of %d committed samples%n", i + 1, total(samples),
            expectedSamples);
      }
      assertThat(kills).as("kills that landed mid-stream").isEqualTo(3);

      Process last = startAugment(broker.bootstrapServers());
      long deadline = System.currentTimeMillis() + 180_000;
      while ((total(samples) < expectedSamples || total(rejections) < corrupt) && System.currentTimeMillis() < deadline) {
        read(out, samples, rejections);
      }
      long settle = System.currentTimeMillis() + 3000; // anything extra (a duplicate) would show up here
      while (System.currentTimeMillis() < settle) {
        read(out, samples, rejections);
      }
      // The last process serves Prometheus metrics: per-op timers and rejections by reason.
      String log = Files.readString(work.resolve("augment.log"));
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("metrics at (http://\\S+/metrics)").matcher(log);
      String url = null;
      while (m.find()) {
        url = m.group(1);
      }
      assertThat(url).as("metrics URL in the log").isNotNull();
      String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(url)).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      assertThat(metrics).contains("streamfit_augment_records_in_total{pass=\"0\"}")
          .contains("streamfit_augment_op_seconds_count{op=\"geometry\",pass=\"1\"}")
          .contains("kafka_stream");
      last.destroy();
      last.waitFor(30, TimeUnit.SECONDS);

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
      System.out.printf("augment crash test: %d kills; %d inputs → %d samples + %d rejections, each exactly once%n",
          kills, inputs.size(), total(samples), total(rejections));
    }
  }

  static long total(Map<String, Integer> m) {
    return m.values().stream().mapToLong(Integer::longValue).sum();
  }

  private static void read(KafkaConsumer<String, byte[]> c, Map<String, Integer> samples, Map<String, Integer> rejections) {
    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
      if (r.topic().endsWith("images.augmented")) {
        AugmentedSample s = AvroSerde.of(AugmentedSample.class).decode(r.value());
        samples.merge(s.getSourceId() + "@" + s.getEpoch(), 1, Integer::sum);
      } else {
        Rejection j = AvroSerde.of(Rejection.class).decode(r.value());
        rejections.merge(j.getOriginalKey(), 1, Integer::sum);
      }
    }
  }

  private static KafkaConsumer<String, byte[]> committedReader(String bootstrap, Topics topics) {
    KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.AUGMENTED_MAX_BYTES),
        new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> parts = new ArrayList<>();
    for (String t : List.of(topics.augmented(), topics.rejected())) {
      c.partitionsFor(t).forEach(p -> parts.add(new TopicPartition(t, p.partition())));
    }
    c.assign(parts);
    c.seekToBeginning(parts);
    return c;
  }

  private Process startAugment(String bootstrap) throws Exception {
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx1g", "-cp", System.getProperty("java.class.path"),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.log.dev.streamfit=info",
        "dev.streamfit.app.Main", "augment", "--bootstrap-servers", bootstrap, "--topic-prefix", "acrash-",
        "--epochs", String.valueOf(EPOCHS), "--image-size", "160", "--instance-id", "crash-1", "--metrics-port", "0", "--work-dir", work.toString());
    return new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("augment.log").toFile())).start();
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
