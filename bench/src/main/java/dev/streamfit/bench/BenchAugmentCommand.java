package dev.streamfit.bench;

import dev.streamfit.bench.fixtures.RawImages;
import dev.streamfit.bench.fixtures.Images;
import dev.streamfit.bench.report.Results;
import static org.bytedeco.opencv.global.opencv_core.CV_32F;

import dev.streamfit.augment.AugmentConfig;
import dev.streamfit.augment.AugmentStage;
import dev.streamfit.augment.ops.AugmentSpec;
import dev.streamfit.augment.ops.Augmenter;
import dev.streamfit.augment.ops.Seeds;
import dev.streamfit.broker.EmbeddedKafkaBroker;
import dev.streamfit.common.kafka.ClientProfile;
import dev.streamfit.common.kafka.KafkaClients;
import dev.streamfit.common.kafka.TopicReader;
import dev.streamfit.common.kafka.TopicsAdmin;
import dev.streamfit.imaging.DecodeLimits;
import dev.streamfit.imaging.ImageDecoder;
import dev.streamfit.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code streamfit bench augment}: img/s of the train augmentation pipeline (JPEG bytes → guarded decode →
 * rotation ±30°, shift ±10 %, shear ±10°, zoom 0.9–1.1, h-flip, nearest fill, one warp to 224×224 →
 * float [-1, 1]) on one thread, best of several passes; then through the augment stage (Kafka Streams,
 * exactly_once_v2, 2 stream threads) on an embedded broker, end to end.
 */
@Command(name = "augment", mixinStandardHelpOptions = true,
    description = "Augmentation img/s: single thread (best of --passes) and through Kafka Streams (EOS v2) on an embedded broker.")
public final class BenchAugmentCommand implements Callable<Integer> {
  @Option(names = "--data", defaultValue = "../shared/data/clothing-dataset-small",
      description = "Dataset root with train/<class>/*.jpg (default ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--n", defaultValue = "500", description = "First N train images in sorted-path order (default ${DEFAULT-VALUE}).")
  int n;

  @Option(names = "--passes", defaultValue = "5", description = "Single-thread passes; the best is reported (default ${DEFAULT-VALUE}).")
  int passes;

  @Option(names = "--size", defaultValue = "224", description = "Output side (default ${DEFAULT-VALUE}).")
  int size;

  @Option(names = "--streams-copies", defaultValue = "4",
      description = "Each image is sent this many times (distinct ids) through Kafka Streams (default ${DEFAULT-VALUE}).")
  int copies;

  @Option(names = "--no-streams", description = "Skip the Kafka Streams run.")
  boolean noStreams;

  @Option(names = "--no-peer", description = "Skip the Python peers (bench/augment_peer.py).")
  boolean noPeer;

  @Option(names = "--python", defaultValue = "/usr/bin/python3",
      description = "Python with python3-opencv, python3-pil, python3-torchvision (default ${DEFAULT-VALUE}).")
  String python;

  /** The peer pipeline: rotation 30, shift 0.1, shear 10, zoom 0.9–1.1, h-flip, nearest. */
  static AugmentSpec benchSpec() {
    return new AugmentSpec(30, 0.1, 0.1, 10, 0.9, 1.1, true, false, 1, 1, 0, AugmentSpec.FillMode.NEAREST, 0, 0, 0, 0);
  }

  @Override
  public Integer call() throws Exception {
    List<byte[]> images = Images.read(data.resolve("train"), "", n, "--data");
    System.out.printf(Locale.ROOT, "%d train images from %s, %.1f MB, output %dx%d float [-1, 1]%n", images.size(), data,
        images.stream().mapToLong(b -> b.length).sum() / 1e6, size, size);

    AugmentSpec spec = benchSpec();
    ImageDecoder decoder = new ImageDecoder(DecodeLimits.defaults());
    double best = 0;
    System.out.printf("single thread (bytes → decode → one warp → float tensor), JPEG decoder: %s%n",
        ImageDecoder.jpegDecoder());
    int cvThreads = opencv_core.getNumThreads();
    opencv_core.setNumThreads(1); // OpenCV's own parallel_for off: one thread in all
    for (int pass = 0; pass < passes; pass++) {
      long t0 = System.nanoTime();
      double checksum = 0;
      for (int i = 0; i < images.size(); i++) {
        long seed = Seeds.derive(42, "img-" + i, pass, 0);
        try (Mat src = decoder.decodeRgb(images.get(i), size);
            Mat aug = Augmenter.apply(src, Augmenter.sample(spec, new SplittableRandom(seed), seed, size, size), size, size);
            Mat f = new Mat()) {
          aug.convertTo(f, CV_32F, 1 / 127.5, -1);
          checksum += f.ptr(0).getFloat(0);
        }
      }
      double rate = images.size() / ((System.nanoTime() - t0) / 1e9);
      best = Math.max(best, rate);
      System.out.printf(Locale.ROOT, "  pass %d: %.1f img/s (checksum %.3f)%n", pass + 1, rate, checksum);
    }
    opencv_core.setNumThreads(cvThreads);
    Map<String, Double> peers = noPeer ? Map.of() : peers();
    double streams = Double.NaN;
    double streamsWithStart = Double.NaN;
    if (!noStreams) {
      double[] r = streams(images, spec);
      streams = r[0];
      streamsWithStart = r[1];
    }
    System.out.println();
    System.out.println("| pipeline | img/s |");
    System.out.println("|---|---|");
    System.out.printf(Locale.ROOT, "| streamfit, 1 thread (best of %d passes) | %.1f |%n", passes, best);
    if (!noStreams) {
      System.out.printf(Locale.ROOT, "| streamfit augment stage, Kafka Streams EOS v2, 2 threads, first to last output | %.1f |%n", streams);
      System.out.printf(Locale.ROOT, "| same, including stage start-up | %.1f |%n", streamsWithStart);
    }
    for (var e : peers.entrySet()) {
      System.out.printf(Locale.ROOT, "| peer %s, 1 thread (best of %d passes) | %.1f (streamfit %.2f×) |%n",
          e.getKey(), passes, e.getValue(), best / e.getValue());
    }
    Results.print("augment.single_thread", "%.1f", best);
    if (!peers.isEmpty()) {
      double bestPeer = peers.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
      Results.print("ratio.augment.single_thread_vs_best_peer", "%.2f", best / bestPeer);
    }
    if (!noStreams) {
      Results.print("augment.streams", "%.1f", streams);
    }
    return 0;
  }

  /** Runs bench/augment_peer.py on the same images; empty (with a note) if it cannot run. */
  private Map<String, Double> peers() {
    Path script = Path.of(System.getProperty("streamfit.home", ".")).resolve("bench/augment_peer.py");
    Map<String, Double> out = new LinkedHashMap<>();
    try {
      Process p = new ProcessBuilder(python, script.toString(), "--data", data.toString(), "--n", String.valueOf(n),
          "--passes", String.valueOf(passes)).redirectErrorStream(true).start();
      for (String line : new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        String[] f = line.trim().split(" ");
        if (f.length == 3 && f[0].equals("PEER")) {
          out.put(f[1], Double.parseDouble(f[2]));
        } else if (!line.isBlank()) {
          System.out.println("  peer: " + line);
        }
      }
      p.waitFor();
    } catch (IOException | InterruptedException | NumberFormatException e) {
      System.out.println("  peers skipped: " + e.getMessage() + " (apt-get install python3-opencv python3-pil python3-torchvision)");
    }
    return out;
  }

  /** {first-to-last-output img/s, img/s including stage start-up} through a fresh augment stage. */
  private double[] streams(List<byte[]> images, AugmentSpec spec) throws Exception {
    Path state = Files.createTempDirectory("streamfit-bench-augment");
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
      Topics topics = new Topics("bench-", 2, (short) 1);
      TopicsAdmin.ensure(broker.bootstrapServers(), topics, Duration.ofSeconds(30));
      int total = images.size() * copies;
      RawImages.publish(broker.bootstrapServers(), topics, images, copies);
      AugmentConfig cfg = new AugmentConfig(broker.bootstrapServers(), "bench-augment", topics, size, 1, 42L, spec,
          DecodeLimits.defaults(), 2, state, AugmentConfig.EpochMode.INTERLEAVED, "");
      try (KafkaConsumer<String, byte[]> c = KafkaClients.consumer(broker.bootstrapServers(), ClientProfile.READ_COMMITTED,
          ClientProfile.reading(topics.spec(topics.augmented())))) {
        TopicReader.assignFromBeginning(c, topics.augmented(), Duration.ofSeconds(30));
        long t0 = System.nanoTime();
        long first = 0;
        long last = 0;
        int seen = 0;
        var registry = new SimpleMeterRegistry();
        try (AugmentStage stage = AugmentStage.start(cfg, registry)) {
          long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
          while (seen < total && System.nanoTime() < deadline) {
            int got = c.poll(Duration.ofMillis(100)).count();
            if (got > 0) {
              long now = System.nanoTime();
              if (seen == 0) {
                first = now;
              }
              seen += got;
              last = now;
            }
          }
        }
        if (seen < total) {
          throw new IllegalStateException("only " + seen + " of " + total + " samples came out within 10 min");
        }
        System.out.printf(Locale.ROOT, "kafka streams: %d records, first output after %.1f s, last after %.1f s%n", total,
            (first - t0) / 1e9, (last - t0) / 1e9);
        StringBuilder ops = new StringBuilder();
        double busy = 0;
        for (String op : List.of("decode", "geometry", "colour", "encode")) {
          var t = registry.find("streamfit.augment.op").tag("op", op).timer();
          if (t != null && t.count() > 0) {
            ops.append(String.format(Locale.ROOT, " %s %.3f ms", op, t.mean(TimeUnit.MILLISECONDS)));
            busy += t.totalTime(TimeUnit.SECONDS);
          }
        }
        System.out.printf(Locale.ROOT, "  per image (stream threads):%s; augmentation busy %.1f thread-s of %.1f s wall x 2 threads%n",
            ops, busy, (last - first) / 1e9);
        return new double[] {(total - 1) / ((last - first) / 1e9), total / ((last - t0) / 1e9)};
      }
    } finally {
      try (Stream<Path> s = Files.walk(state)) {
        s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }
}
