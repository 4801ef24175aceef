package dev.streamfit.bench;

import dev.streamfit.bench.report.Results;
import dev.streamfit.common.Hashes;
import dev.streamfit.common.kafka.ClientProfile;
import dev.streamfit.common.kafka.KafkaClients;
import dev.streamfit.pipeline.Dataset;
import dev.streamfit.pipeline.Pipeline;
import dev.streamfit.pipeline.ServingOptions;
import dev.streamfit.pipeline.StageOptions;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.OffsetRange;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.serving.ActiveModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamfit bench freshness}: a running pipeline (embedded broker, default policy unless flags say otherwise; in
 * continuous mode, {@code --epochs 1} with rehearsal, unless {@code --epochs} is given) first converges on the validation and test images and part of the train images of the sample; then the other train
 * images arrive one at a time, then in bursts. For each, the time from the start of its ingest to the first served
 * version whose lineage (provenance offset ranges) covers its augmented record. Prints the per-image table, p50/p95,
 * the gap between published versions measured in the same run (the peer), and RESULT lines.
 */
@Command(name = "freshness", mixinStandardHelpOptions = true,
    description = "Ingest-to-served latency of new images in a running pipeline (p50, p95).")
public final class BenchFreshnessCommand implements Callable<Integer> {
  @Mixin
  StageOptions stage;

  @Mixin
  ServingOptions serving;

  @Option(names = "--data", description = "Folder laid out as <split>/<class>/<image> (default: the bundled sample).")
  Path data;

  @Option(names = "--warm-fraction", defaultValue = "0.5",
      description = "Train images per class ingested before measuring (default ${DEFAULT-VALUE}).")
  double warmFraction;

  @Option(names = "--singles", defaultValue = "12", description = "New images sent one at a time (default ${DEFAULT-VALUE}).")
  int singles;

  @Option(names = "--single-gap-s", defaultValue = "5", description = "Seconds between single images (default ${DEFAULT-VALUE}).")
  double singleGap;

  @Option(names = "--burst-size", defaultValue = "20", description = "Images per burst; the rest of the new images go in bursts (default ${DEFAULT-VALUE}).")
  int burstSize;

  @Option(names = "--burst-gap-s", defaultValue = "30", description = "Seconds between bursts (default ${DEFAULT-VALUE}).")
  double burstGap;

  @Option(names = "--timeout-s", defaultValue = "900", description = "Give up after this long (default ${DEFAULT-VALUE}).")
  long timeoutS;

  /** One new image: what was sent when, and when it was first augmented and served. */
  private static final class Probe {
    final String kind;
    final String id;
    long ingestNanos;
    volatile long augmentedNanos;
    volatile int partition = -1;
    volatile long offset = -1;
    volatile long servedNanos;
    volatile long version;

    Probe(String kind, String id) {
      this.kind = kind;
      this.id = id;
    }
  }

  private record Served(long version, long atNanos, List<OffsetRange> ranges) {}

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (!spec.commandLine().getParseResult().hasMatchedOption("--epochs")) {
      stage.augment.epochs = 1; // continuous mode (one variant per image, rehearsal) unless asked otherwise
    }
    Dataset dataset = Dataset.of(data != null ? data : Dataset.bundledSample());
    Path runDir = stage.common.workDir.resolve("bench-freshness-"
        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    Path warm = runDir.resolve("warm");
    List<Path> fresh = split(dataset.dir(), warm);
    System.out.printf(Locale.ROOT, "bench freshness: %s, %d new train images (%d single, then bursts of %d); run dir %s%n",
        dataset.dir(), fresh.size(), Math.min(singles, fresh.size()), burstSize, runDir);
    try (Pipeline p = Pipeline.start(null, Topics.defaults(), stage, serving,
        runDir, new Dataset(warm, dataset.modelName(), dataset.labels()))) {
      Pipeline.Result r = p.ingestAndAwait(warm, Duration.ofSeconds(timeoutS), System.out);
      System.out.printf(Locale.ROOT, "warm     converged on %d images in %.0f s, serving v%d (val %.3f)%n",
          r.ingest().published(), r.wallSeconds(), r.served().version(), r.served().metadata().getMetrics().get("val.accuracy"));
      Map<String, Probe> probes = new ConcurrentHashMap<>();
      List<Served> served = new CopyOnWriteArrayList<>();
      served.add(new Served(r.served().version(), System.nanoTime(), r.served().metadata().getProvenance().getOffsets()));
      AtomicBoolean watching = new AtomicBoolean(true);
      Thread watcher = watch(p, probes, served, watching);
      long deadline = System.nanoTime() + timeoutS * 1_000_000_000L;
      try {
        send(p, runDir, fresh, probes);
        while (probes.values().stream().anyMatch(x -> x.servedNanos == 0) && System.nanoTime() < deadline) {
          Thread.sleep(200);
        }
      } finally {
        watching.set(false); // not an interrupt: the consumer then closes cleanly
        watcher.join(35_000);
      }
      return report(new ArrayList<>(probes.values()), served);
    }
  }

  /** Copies validation, test and the first warm-fraction of each class's train images under {@code warm}; returns the rest. */
  private List<Path> split(Path dir, Path warm) throws IOException {
    for (String sub : List.of("validation", "test")) {
      copyTree(dir.resolve(sub), warm.resolve(sub), f -> true);
    }
    List<Path> rest = new ArrayList<>();
    try (Stream<Path> classes = Files.list(dir.resolve("train"))) {
      for (Path c : classes.filter(Files::isDirectory).sorted().toList()) {
        List<Path> images;
        try (Stream<Path> s = Files.list(c)) {
          images = s.filter(Files::isRegularFile).sorted().toList();
        }
        int keep = (int) Math.round(images.size() * warmFraction);
        for (int i = 0; i < images.size(); i++) {
          if (i < keep) {
            Path to = warm.resolve("train").resolve(c.getFileName()).resolve(images.get(i).getFileName());
            Files.createDirectories(to.getParent());
            Files.copy(images.get(i), to);
          } else {
            rest.add(images.get(i));
          }
        }
      }
    }
    // Interleave classes (a stream is not class-sorted), deterministically.
    rest.sort(Comparator.comparing(f -> Hashes.sha256Hex(f.toString().getBytes(StandardCharsets.UTF_8))));
    return rest;
  }

  private static void copyTree(Path from, Path to, Predicate<Path> which) throws IOException {
    if (!Files.isDirectory(from)) {
      return;
    }
    try (Stream<Path> all = Files.walk(from)) {
      for (Path f : all.filter(Files::isRegularFile).filter(which).toList()) {
        Path t = to.resolve(from.relativize(f).toString());
        Files.createDirectories(t.getParent());
        Files.copy(f, t);
      }
    }
  }

  /** Sends the new images: singles one by one, then bursts; records each image's ingest start. */
  private void send(Pipeline p, Path runDir, List<Path> fresh, Map<String, Probe> probes) throws Exception {
    int i = 0;
    int batch = 0;
    while (i < fresh.size()) {
      boolean single = i < singles;
      int n = single ? 1 : Math.min(burstSize, fresh.size() - i);
      Path dir = runDir.resolve("new-" + batch++);
      List<Probe> these = new ArrayList<>();
      for (Path f : fresh.subList(i, i + n)) {
        Path t = dir.resolve("train").resolve(f.getParent().getFileName()).resolve(f.getFileName());
        Files.createDirectories(t.getParent());
        Files.copy(f, t);
        these.add(new Probe(single ? "single" : "burst", Hashes.sha256Hex(Files.readAllBytes(f))));
      }
      long t0 = System.nanoTime();
      these.forEach(x -> {
        x.ingestNanos = t0;
        probes.put(x.id, x);
      });
      p.ingest(dir);
      i += n;
      if (i < fresh.size()) {
        Thread.sleep((long) ((i < singles || single && i == singles ? singleGap : burstGap) * 1000));
      }
    }
  }

  /** Follows the trainer's input topic (each new image's first train record there) and the served version; fills in the probes. */
  private Thread watch(Pipeline p, Map<String, Probe> probes, List<Served> served,
      AtomicBoolean watching) {
    Topics topics = p.topics();
    KafkaConsumer<String, byte[]> consumer = KafkaClients.consumer(p.bootstrapServers(), ClientProfile.READ_COMMITTED,
        ClientProfile.reading(topics.spec(topics.augmented()), topics.spec(topics.features())));
    // Positioned at the end before anything new is sent, so no new image's record is missed.
    List<TopicPartition> parts = consumer.partitionsFor(p.trainerInputTopic()).stream()
        .map(pi -> new TopicPartition(pi.topic(), pi.partition())).toList();
    consumer.assign(parts);
    consumer.seekToEnd(parts);
    parts.forEach(consumer::position);
    Thread t = new Thread(() -> {
      AvroSerde<AugmentedSample> serde = AvroSerde.of(AugmentedSample.class);
      try (KafkaConsumer<String, byte[]> c = consumer) {
        while (watching.get()) {
          for (var rec : c.poll(Duration.ofMillis(50))) {
            Probe x = probes.get(rec.key());
            if (x != null && x.offset < 0) {
              AugmentedSample s = serde.decode(rec.value());
              if (s.getSplit() == Split.TRAIN) {
                x.partition = rec.partition();
                x.offset = rec.offset();
                x.augmentedNanos = System.nanoTime();
              }
            }
          }
          ActiveModel m = p.served();
          long now = System.nanoTime();
          if (m != null && m.version() != served.get(served.size() - 1).version()) {
            served.add(new Served(m.version(), now, m.metadata().getProvenance().getOffsets()));
          }
          Served last = served.get(served.size() - 1);
          for (Probe x : probes.values()) {
            if (x.servedNanos == 0 && x.offset >= 0 && covers(last.ranges(), p.trainerInputTopic(), x.partition, x.offset)) {
              x.servedNanos = last.atNanos();
              x.version = last.version();
            }
          }
        }
      }
    }, "bench-freshness-watch");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static boolean covers(List<OffsetRange> ranges, String topic, int partition, long offset) {
    return ranges.stream().anyMatch(r -> r.getTopic().equals(topic) && r.getPartition() == partition
        && r.getStartOffset() <= offset && offset < r.getEndOffset());
  }

  private int report(List<Probe> probes, List<Served> served) {
    probes.sort(Comparator.comparingLong((Probe x) -> x.ingestNanos).thenComparing(x -> x.id));
    long base = probes.isEmpty() ? 0 : probes.get(0).ingestNanos;
    System.out.println();
    System.out.println("  image             kind    sent_s  augmented_s  served_s  version");
    for (Probe x : probes) {
      System.out.printf(Locale.ROOT, "  %-16s  %-6s  %6.1f  %11s  %8s  %s%n", x.id.substring(0, 16), x.kind,
          (x.ingestNanos - base) / 1e9, x.augmentedNanos == 0 ? "-" : String.format(Locale.ROOT, "%.1f",
              (x.augmentedNanos - x.ingestNanos) / 1e9), x.servedNanos == 0 ? "never" : String.format(Locale.ROOT, "%.1f",
              (x.servedNanos - x.ingestNanos) / 1e9), x.version == 0 ? "-" : "v" + x.version);
    }
    List<Double> all = latencies(probes, null);
    List<Double> gaps = new ArrayList<>();
    for (int i = 2; i < served.size(); i++) {
      gaps.add((served.get(i).atNanos() - served.get(i - 1).atNanos()) / 1e9);
    }
    long missing = probes.stream().filter(x -> x.servedNanos == 0).count();
    System.out.println();
    System.out.printf(Locale.ROOT, "  %-10s %6s %8s %8s%n", "", "images", "p50_s", "p95_s");
    for (String kind : new String[] {"single", "burst", null}) {
      List<Double> l = latencies(probes, kind);
      System.out.printf(Locale.ROOT, "  %-10s %6d %8.1f %8.1f%n", kind == null ? "all" : kind, l.size(), Results.percentile(l, 50), Results.percentile(l, 95));
    }
    System.out.printf(Locale.ROOT, "  versions served while measuring: %d; gap between them p50 %.1f s (peer, same run); never served: %d%n",
        served.size() - 1, Results.percentile(gaps, 50), missing);
    double p50 = missing > 0 ? Double.NaN : Results.percentile(all, 50);
    double p95 = missing > 0 ? Double.NaN : Results.percentile(all, 95);
    Results.print("freshness.p50_s", "%.1f", p50);
    Results.print("freshness.p95_s", "%.1f", p95);
    Results.print("freshness.publish_gap_p50_s", "%.1f", Results.percentile(gaps, 50));
    Results.print("ratio.freshness.p50_over_publish_gap", "%.2f", p50 / Results.percentile(gaps, 50));
    return missing > 0 ? 1 : 0;
  }

  private static List<Double> latencies(List<Probe> probes, String kind) {
    return probes.stream().filter(x -> x.servedNanos > 0 && (kind == null || kind.equals(x.kind)))
        .map(x -> (x.servedNanos - x.ingestNanos) / 1e9).sorted().toList();
  }

}
