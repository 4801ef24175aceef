package dev.streamfit.bench;

import dev.streamfit.bench.report.Results;
import com.sun.management.OperatingSystemMXBean;
import dev.streamfit.broker.EmbeddedKafkaBroker;
import dev.streamfit.common.Hashes;
import dev.streamfit.common.kafka.TopicsAdmin;
import dev.streamfit.imaging.DecodeLimits;
import dev.streamfit.imaging.ImageDecoder;
import dev.streamfit.imaging.ImageRejectedException;
import dev.streamfit.ingest.IngestConfig;
import dev.streamfit.ingest.IngestStage;
import dev.streamfit.ingest.IngestSummary;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.ImageIndexEntry;
import dev.streamfit.schemas.RawImage;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dev.streamfit.common.kafka.KafkaClients;
import dev.streamfit.common.kafka.ClientProfile;

/**
 * {@code streamfit bench ingest}: img/s of {@code ingest} publishing a dataset folder end to end (open: topics
 * checked, {@code images.index} read, transactional producer initialised; then read, SHA-256, edge checks, Avro,
 * transactions with the index) beside the raw Kafka producer limit: the same files' bytes, already in memory,
 * sent as fast as one idempotent acks=all producer can to the same broker in the same run. Untimed warm-up
 * rounds of both come first (a cold JVM measures its JIT, not Kafka: the first round is 2–3× slower for
 * both); every run's topics are created before any clock starts; the two alternate which goes first.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = "Ingest img/s for a dataset folder vs the raw Kafka producer limit on the same broker, same run.")
public final class BenchIngestCommand implements Callable<Integer> {
  @Option(names = "--data", defaultValue = "../shared/data/clothing-dataset-small",
      description = "Folder laid out as <split>/<class>/<image> (default ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--runs", defaultValue = "5", description = "Timed runs of each, fresh topics each time (default ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--warmup", defaultValue = "3", description = "Untimed warm-up runs of each first (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--bootstrap-servers", description = "Use this cluster instead of an embedded broker.")
  String bootstrapServers;

  @Option(names = "--broker-dir", description = "Parent of the embedded broker's log directory (default /dev/shm when"
      + " writable, else the temporary directory).")
  Path brokerDir;

  @Override
  public Integer call() throws Exception {
    if (runs < 1) {
      throw new IllegalArgumentException("bench.runs must be >= 1, was " + runs + " (set --runs)");
    }
    if (warmup < 0) {
      throw new IllegalArgumentException("bench.warmup must be >= 0, was " + warmup + " (set --warmup)");
    }
    IngestStage probe = new IngestStage(IngestConfig.of("unused:0", Topics.defaults(), data));
    List<byte[]> files = new ArrayList<>();
    long totalBytes = 0;
    for (Path f : probe.files()) {
      byte[] b = Files.readAllBytes(f);
      files.add(b);
      totalBytes += b.length;
    }
    System.err.printf(Locale.ROOT, "bench ingest: %d files, %.1f MB, from %s; %d warm-up + %d timed runs%n", files.size(),
        totalBytes / 1e6, data, warmup, runs);
    // Each run writes the dataset twice. On disk, once enough is dirty (vm.dirty_background_ratio) the kernel's
    // writeback competes with the runs and both figures fall mid-bench (README, "Ingest throughput"; deleted
    // topics' files stay until the broker's delete task runs, 30 s after start): the broker's logs go to a tmpfs.
    EmbeddedKafkaBroker broker = bootstrapServers == null ? EmbeddedKafkaBroker.start(0, Map.of(), brokerDir()) : null;
    String bootstrap = broker != null ? broker.bootstrapServers() : bootstrapServers;
    List<Run> timed = new ArrayList<>();
    try {
      String stamp = Long.toString(System.currentTimeMillis());
      List<Topics[]> topics = new ArrayList<>();
      for (int run = 1; run <= warmup + runs; run++) {
        Topics raw = new Topics("bench-raw-" + stamp + "-" + run + "-", 2, (short) 1);
        Topics ingest = new Topics("bench-ingest-" + stamp + "-" + run + "-", 2, (short) 1);
        TopicsAdmin.ensure(bootstrap, raw, Duration.ofSeconds(30));
        TopicsAdmin.ensure(bootstrap, ingest, Duration.ofSeconds(30));
        topics.add(new Topics[] {raw, ingest});
      }
      for (int run = 1; run <= warmup + runs; run++) {
        Topics[] t = topics.get(run - 1);
        boolean rawFirst = run % 2 == 1;
        double raw = 0;
        long rawCpu = 0;
        if (rawFirst) {
          long c0 = cpuNanos();
          raw = rawLimit(bootstrap, t[0].raw(), files);
          rawCpu = cpuNanos() - c0;
        }
        long c1 = cpuNanos();
        IngestSummary s = new IngestStage(IngestConfig.of(bootstrap, t[1], data)).run(null);
        long ingestCpu = cpuNanos() - c1;
        if (!rawFirst) {
          long c0 = cpuNanos();
          raw = rawLimit(bootstrap, t[0].raw(), files);
          rawCpu = cpuNanos() - c0;
        }
        if (s.published() + s.duplicates() + s.rejected() != files.size()) {
          throw new IllegalStateException("ingest handled " + (s.published() + s.duplicates() + s.rejected()) + " of "
              + files.size() + " files");
        }
        Run r = new Run(run <= warmup ? "w" + run : Integer.toString(run - warmup), rawFirst ? "raw" : "ingest", raw,
            rawCpu / 1e6, s, ingestCpu / 1e6);
        System.err.println("  run " + r.row());
        if (run > warmup) {
          timed.add(r);
        }
      }
    } finally {
      if (broker != null) {
        broker.close();
      }
    }
    double clientMs = Double.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      clientMs = Math.min(clientMs, clientWorkCpuMs(probe.files()));
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "%-4s %-7s %11s %8s %13s %8s %8s %8s%n", "run", "first", "raw img/s", "cpu ms",
        "ingest img/s", "cpu ms", "ratio", "open ms");
    timed.forEach(r -> System.out.println(r.row()));
    double[] raw = timed.stream().mapToDouble(Run::raw).sorted().toArray();
    double[] ingest = timed.stream().mapToDouble(Run::ingest).sorted().toArray();
    double[] ratio = timed.stream().mapToDouble(r -> r.ingest() / r.raw()).sorted().toArray();
    double rawCpu = Results.median(timed.stream().mapToDouble(Run::rawCpuMs).sorted().toArray());
    double ingestCpu = Results.median(timed.stream().mapToDouble(Run::ingestCpuMs).sorted().toArray());
    System.out.printf(Locale.ROOT, "median       %11.1f %8.0f %13.1f %8.0f %6.1f %%%n", Results.median(raw), rawCpu, Results.median(ingest),
        ingestCpu, 100 * Results.median(ratio));
    System.out.printf(Locale.ROOT, "best         %11.1f %8s %13.1f%n", raw[raw.length - 1], "", ingest[ingest.length - 1]);
    System.out.printf(Locale.ROOT, "%ncpu ms = CPU time of the whole process (broker included) during the run, %d cores.%n",
        Runtime.getRuntime().availableProcessors());
    System.out.printf(Locale.ROOT, "ingest's client-side work alone (read, SHA-256, edge checks, Avro; one thread, no Kafka):"
        + " %.0f ms CPU per pass.%nIf the cores are saturated, ingest can reach at most raw cpu / (raw cpu + client work)"
        + " = %.0f %% of the limit.%n", clientMs, 100 * rawCpu / (rawCpu + clientMs));
    Results.print("ingest.img_s", "%.1f", Results.median(ingest));
    Results.print("ingest.kafka_limit_img_s", "%.1f", Results.median(raw));
    Results.print("ingest.ratio", "%.3f", Results.median(ratio));
    Results.print("ingest.best_ratio", "%.3f", ingest[ingest.length - 1] / raw[raw.length - 1]);
    return 0;
  }

  /** One timed pair: the raw limit and ingest's summary, and which of the two ran first. */
  private record Run(String name, String first, double raw, double rawCpuMs, IngestSummary summary, double ingestCpuMs) {
    double ingest() {
      return summary.published() / summary.seconds();
    }

    String row() {
      return String.format(Locale.ROOT, "%-4s %-7s %11.1f %8.0f %13.1f %8.0f %6.1f %% %8.0f   (%d published, %d duplicates,"
          + " %d rejected %s)", name, first, raw, rawCpuMs, ingest(), ingestCpuMs, 100 * ingest() / raw,
          1000 * summary.startupSeconds(), summary.published(),
          summary.duplicates(), summary.rejected(), summary.rejectedByReason());
    }
  }

  /** {@code --broker-dir} if given, else {@code /dev/shm} when it is a writable directory, else null (temp dir). */
  private Path brokerDir() {
    if (brokerDir != null) {
      return brokerDir;
    }
    Path shm = Path.of("/dev/shm");
    return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : null;
  }

  /**
   * CPU ms of this thread doing, for every file, what ingest does besides Kafka: read it, SHA-256, the edge
   * checks (container probe) and the Avro encoding of its {@code images.raw} and {@code images.index} records.
   */
  private static double clientWorkCpuMs(List<Path> paths) throws IOException {
    var threads = ManagementFactory.getThreadMXBean();
    var guard = new ImageDecoder(DecodeLimits.defaults());
    AvroSerde<RawImage> rawSerde = AvroSerde.of(RawImage.class);
    AvroSerde<ImageIndexEntry> indexSerde = AvroSerde.of(ImageIndexEntry.class);
    long sink = 0;
    long t0 = threads.getCurrentThreadCpuTime();
    for (Path p : paths) {
      byte[] b = Files.readAllBytes(p);
      String id = Hashes.sha256Hex(b);
      try {
        guard.probe(b);
      } catch (ImageRejectedException e) {
        continue;
      }
      Instant now = Instant.now();
      sink += rawSerde.encode(RawImage.newBuilder().setId(id).setContent(ByteBuffer.wrap(b)).setMediaType("image/jpeg")
          .setLabel("x").setSplit(Split.TRAIN).setSource(p.toString()).setIngestedAt(now).build()).length;
      sink += indexSerde.encode(ImageIndexEntry.newBuilder().setId(id).setSplit(Split.TRAIN).setLabel("x")
          .setSource(p.toString()).setIngestedAt(now).build()).length;
    }
    double ms = (threads.getCurrentThreadCpuTime() - t0) / 1e6;
    return sink > 0 ? ms : 0;
  }

  private static long cpuNanos() {
    return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** img/s of one idempotent acks=all producer sending {@code files} (in memory) and waiting for every ack. */
  private static double rawLimit(String bootstrap, String topic, List<byte[]> files) throws Exception {
    Topics t = Topics.defaults();
    try (KafkaProducer<String, byte[]> p = KafkaClients.producer(bootstrap, ClientProfile.DURABLE,
        ClientProfile.writing(t.spec(t.raw())), ClientProfile.batching(5, 1024 * 1024))) {
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
