package dev.streamfit.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.common.kafka.ClientProfile;
import dev.streamfit.common.kafka.KafkaClients;
import dev.streamfit.schemas.Topics;
import dev.streamfit.common.kafka.TopicsAdmin;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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

/**
 * streamfit's transactional producer settings ({@link ClientProfile#transactional}) writing into
 * partitions {@link TopicsAdmin#ensure} has just created, transaction after transaction with no pause (each
 * one's first batches race the previous one's commit markers) while other threads keep the cores busy, as
 * in a default run: read committed, every record arrives exactly once, and the broker and clients log no
 * line with ERROR or Exception (the retriable out-of-order-sequence rejection the broker logs at ERROR).
 */
@ExtendWith(KafkaBrokerExtension.class)
class FreshTopicTransactionsTest {
  static final int ROUNDS = 4;
  static final int RECORDS = 400;
  static final int TXN = 40;

  @Test
  void firstTransactionsOnNewPartitionsLoseNothingAndLogNoError(KafkaBroker broker) throws Exception {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(new TeeStream(err, captured), true, StandardCharsets.UTF_8));
    java.util.concurrent.atomic.AtomicBoolean busy = new java.util.concurrent.atomic.AtomicBoolean(true);
    List<Thread> burners = new ArrayList<>();
    for (int b = 0; b < 3; b++) { // the cores are busy in a real run (decode, training): markers lag behind commits
      Thread t = new Thread(() -> {
        long x = 0;
        while (busy.get()) {
          x += System.nanoTime() % 7;
        }
        if (x == 42) {
          System.out.print("");
        }
      });
      t.setDaemon(true);
      t.start();
      burners.add(t);
    }
    try {
      for (int round = 0; round < ROUNDS; round++) {
        Topics topics = new Topics("fresh" + round + "-", 2, (short) 1);
        TopicsAdmin.ensure(broker.bootstrapServers(), topics, Duration.ofSeconds(30));
        List<String> sent = new ArrayList<>();
        try (KafkaProducer<String, byte[]> p = KafkaClients.producer(broker.bootstrapServers(),
            ClientProfile.transactional("fresh-" + UUID.randomUUID()), ClientProfile.batching(0, 16 * 1024),
            ClientProfile.writing(topics.spec(topics.raw())))) {
          p.initTransactions();
          byte[] value = new byte[12 * 1024];
          for (int i = 0; i < RECORDS; i++) {
            if (i % TXN == 0) {
              p.beginTransaction(); // at once after the previous commit, as ingest and Streams do
            }
            String key = "r" + round + "-" + i;
            p.send(new ProducerRecord<>(topics.raw(), i % 2, key, value));
            p.send(new ProducerRecord<>(topics.augmented(), i % 2, key, value));
            sent.add(key);
            if (i % TXN == TXN - 1) {
              p.commitTransaction();
            }
          }
        }
        for (String topic : List.of(topics.raw(), topics.augmented())) {
          Map<String, Integer> seen = readCommitted(broker.bootstrapServers(), topic);
          assertThat(seen).as("round %d %s: every record once", round, topic).hasSize(RECORDS);
          assertThat(seen.values()).as("round %d %s: no duplicate", round, topic).allMatch(n -> n == 1);
        }
      }
    } finally {
      busy.set(false);
      System.setErr(err);
    }
    String log = captured.toString(StandardCharsets.UTF_8);
    assertThat(log.lines().filter(l -> l.contains("ERROR") || l.contains("Exception")))
        .as("broker and client log lines with ERROR or Exception").isEmpty();
  }

  private static Map<String, Integer> readCommitted(String bootstrap, String topic) {
    Map<String, Integer> seen = new HashMap<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long deadline = System.currentTimeMillis() + 30_000;
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.currentTimeMillis() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(r -> seen.merge(r.key(), 1, Integer::sum));
      }
    }
    return seen;
  }

  /** Writes to two streams. */
  private static final class TeeStream extends java.io.OutputStream {
    private final java.io.OutputStream a;
    private final java.io.OutputStream b;

    TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public synchronized void write(int x) throws java.io.IOException {
      a.write(x);
      b.write(x);
    }

    @Override
    public synchronized void write(byte[] buf, int off, int len) throws java.io.IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }
  }
}
