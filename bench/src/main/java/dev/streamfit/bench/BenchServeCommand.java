package dev.streamfit.bench;

import dev.streamfit.bench.fixtures.Images;
import dev.streamfit.bench.fixtures.ModelFixture;
import dev.streamfit.bench.load.ClosedLoop;
import dev.streamfit.bench.load.ExplainLoad;
import dev.streamfit.bench.report.Results;
import dev.streamfit.broker.EmbeddedKafkaBroker;
import dev.streamfit.common.kafka.TopicsAdmin;
import dev.streamfit.engine.BaseModel;
import dev.streamfit.engine.InputEncoder;
import dev.streamfit.engine.Models;
import dev.streamfit.engine.Predictor;
import dev.streamfit.imaging.DecodeLimits;
import dev.streamfit.imaging.ImageDecoder;
import dev.streamfit.imaging.Pixels;
import dev.streamfit.pipeline.Dataset;
import dev.streamfit.schemas.Topics;
import dev.streamfit.serving.ServingConfig;
import dev.streamfit.serving.ServingStage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.opencv.opencv_core.Mat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code streamfit bench serve}: HTTP prediction latency and throughput of the serving stage on an embedded
 * broker, beside the raw forward pass of the same model in the same run, and beside the same server with
 * micro-batching off (one forward per request).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serving: p50/p99 with 1 client, req/s at 8 and 32 clients, vs raw forward time and vs one forward per request.")
public final class BenchServeCommand implements Callable<Integer> {
  @Option(names = "--data", defaultValue = "data/clothing-sample",
      description = "Dataset root; images are taken from <data>/test/<class>/*.jpg (default ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--base", defaultValue = "mobilenetv2-0.35", description = "Base of the served model (default ${DEFAULT-VALUE}).")
  String base;

  @Option(names = "--image-size", defaultValue = "224", description = "Model input side (default ${DEFAULT-VALUE}).")
  int imageSize;

  @Option(names = "--seconds", defaultValue = "15", description = "Measured seconds per load level (default ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--warmup-seconds", defaultValue = "3", description = "Unmeasured seconds before each level (default ${DEFAULT-VALUE}).")
  int warmupSeconds;

  @Option(names = "--max-batch", defaultValue = "8", description = "Micro-batch limit of the batched server (default ${DEFAULT-VALUE}).")
  int maxBatch;

  @Option(names = "--workers", defaultValue = "0", description = "Inference workers; 0 = one per core, at most 16 (default ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--bootstrap-servers", description = "Use this cluster instead of an embedded broker.")
  String bootstrapServers;

  /** The class folders of {@code --data}: the served model's labels. */
  private List<String> labels;

  @Override
  public Integer call() throws Exception {
    if (seconds < 3) {
      throw new IllegalArgumentException("bench.seconds must be >= 3, was " + seconds + " (set --seconds)");
    }
    List<byte[]> images = Images.read(data.resolve("test"), ".jpg", Long.MAX_VALUE, "--data");
    labels = Dataset.of(data).labels();
    System.err.printf(Locale.ROOT, "bench serve: %d test images from %s, %s at %d px%n", images.size(), data, base, imageSize);
    byte[] model = Models.toBytes(Models.newClassifier(BaseModel.fromId(base), labels, 1e-3, 1,
        imageSize), false);

    // Raw figures of the same model in this JVM: decode+resize, forward at batch 1 and at the batch limit.
    int w = workers == 0 ? Math.min(16, Runtime.getRuntime().availableProcessors()) : workers;
    double decodeMs;
    double forward1Ms;
    double forwardBatchImgS;
    double rawParallelBatched;
    double rawParallelSingle;
    try (Predictor p = new Predictor(Models.fromBytes(model, false), labels, imageSize, imageSize,
        InputEncoder.NCHW)) {
      ImageDecoder decoder = new ImageDecoder(DecodeLimits.defaults());
      List<byte[]> pixels = new ArrayList<>();
      double[] decode = new double[images.size()];
      for (int r = 0; r < 3; r++) {
        pixels.clear();
        for (int i = 0; i < images.size(); i++) {
          long t0 = System.nanoTime();
          try (Mat m = decoder.decodeResized(images.get(i), imageSize, imageSize)) {
            pixels.add(Pixels.toHwc(m));
          }
          decode[i] = (System.nanoTime() - t0) / 1e6;
        }
      }
      decodeMs = Results.percentile(decode, 50);
      // Warm up as long as the server levels do (JIT of the encoder, oneDNN primitives), then time 200 passes.
      for (long end = System.nanoTime() + warmupSeconds * 1_000_000_000L; System.nanoTime() < end; ) {
        p.probabilities(List.of(pixels.get(0)));
      }
      double[] f1 = new double[200];
      for (int i = 0; i < f1.length; i++) {
        long t0 = System.nanoTime();
        p.probabilities(List.of(pixels.get(i % pixels.size())));
        f1[i] = (System.nanoTime() - t0) / 1e6;
      }
      forward1Ms = Results.percentile(f1, 50);
      List<byte[]> batch = new ArrayList<>();
      for (int i = 0; i < maxBatch; i++) {
        batch.add(pixels.get(i % pixels.size()));
      }
      double[] fb = new double[10];
      for (int i = -3; i < fb.length; i++) {
        long t0 = System.nanoTime();
        p.probabilities(batch);
        if (i >= 0) {
          fb[i] = (System.nanoTime() - t0) / 1e6;
        }
      }
      forwardBatchImgS = maxBatch * 1000 / Results.percentile(fb, 50);
      int threads = w == 1 ? 0 : Math.max(1, Runtime.getRuntime().availableProcessors() / w);
      rawParallelBatched = parallel(p, pixels, w, maxBatch, threads);
      rawParallelSingle = parallel(p, pixels, w, 1, threads);
    }
    System.err.printf(Locale.ROOT, "  raw: decode+resize p50 %.2f ms, forward bs1 p50 %.2f ms, forward bs%d %.1f img/s;"
        + " %d workers in parallel: bs%d %.1f img/s, bs1 %.1f img/s%n", decodeMs, forward1Ms, maxBatch, forwardBatchImgS, w,
        maxBatch, rawParallelBatched, rawParallelSingle);

    EmbeddedKafkaBroker broker = bootstrapServers == null ? EmbeddedKafkaBroker.start() : null;
    String bootstrap = broker != null ? broker.bootstrapServers() : bootstrapServers;
    Topics topics = new Topics("bench-serve-" + System.currentTimeMillis() + "-", 1, (short) 1);
    List<ClosedLoop.Level> levels = new ArrayList<>();
    double explainPerS = 0;
    try {
      TopicsAdmin.ensure(bootstrap, topics, Duration.ofSeconds(30));
      ModelFixture.publish(bootstrap, topics, "bench", model, labels, imageSize, base);
      ServingConfig base = ServingConfig.defaults(bootstrap, topics, 0).withTopicInference(false).withInferenceWorkers(w);
      try (ServingStage batched = ServingStage.start(base.withBatching(maxBatch, Duration.ZERO, 1024))) {
        ModelFixture.awaitActive(batched);
        levels.add(ClosedLoop.run("batched", batched.port(), images, 1, warmupSeconds, seconds));
        levels.add(ClosedLoop.run("batched", batched.port(), images, 8, warmupSeconds, seconds));
        levels.add(ClosedLoop.run("batched", batched.port(), images, 32, warmupSeconds, seconds));
        long t0 = System.nanoTime();
        try (ExplainLoad explaining = new ExplainLoad(batched.port(), images)) {
          levels.add(ClosedLoop.run("batched+explain", batched.port(), images, 8, warmupSeconds, seconds));
          explainPerS = explaining.answered() / ((System.nanoTime() - t0) / 1e9);
        }
      }
      try (ServingStage single = ServingStage.start(base.withBatching(1, Duration.ZERO, 1024))) {
        ModelFixture.awaitActive(single);
        levels.add(ClosedLoop.run("one-per-request", single.port(), images, 32, warmupSeconds, seconds));
      }
      try (ServingStage serial = ServingStage.start(base.withBatching(1, Duration.ZERO, 1024).withInferenceWorkers(1))) {
        ModelFixture.awaitActive(serial);
        levels.add(ClosedLoop.run("one-at-a-time", serial.port(), images, 32, warmupSeconds, seconds));
      }
    } finally {
      if (broker != null) {
        broker.close();
      }
    }

    ClosedLoop.Level c1 = levels.get(0);
    ClosedLoop.Level c8 = levels.get(1);
    ClosedLoop.Level c32 = levels.get(2);
    ClosedLoop.Level u32 = levels.get(4);
    ClosedLoop.Level e8 = levels.get(3);
    ClosedLoop.Level s32 = levels.get(5);
    double overhead = (c1.p50() - forward1Ms) / forward1Ms;
    System.out.println();
    System.out.printf(Locale.ROOT, "%-16s %7s %9s %9s %9s %9s %8s%n", "server", "clients", "requests", "req/s", "p50 ms",
        "p99 ms", "batch");
    for (ClosedLoop.Level l : levels) {
      System.out.printf(Locale.ROOT, "%-16s %7d %9d %9.1f %9.2f %9.2f %8.2f%s%n", l.server(), l.clients(), l.requests(),
          l.rps(), l.p50(), l.p99(), l.meanBatch(), l.errors() > 0 ? "  (" + l.errors() + " errors)" : "");
    }
    System.out.printf(Locale.ROOT, "%-16s %7s %9s %9.1f %9.2f %9s %8d%n", "raw forward", "-", "-", 1000 / forward1Ms,
        forward1Ms, "-", 1);
    System.out.printf(Locale.ROOT, "%-16s %7s %9s %9.1f %9s %9s %8d%n", "raw forward", "-", "-", forwardBatchImgS, "-", "-",
        maxBatch);
    System.out.printf(Locale.ROOT, "%-16s %7s %9s %9.1f %9s %9s %8d   (%d workers in parallel)%n", "raw forward", "-", "-",
        rawParallelSingle, "-", "-", 1, w);
    System.out.printf(Locale.ROOT, "%-16s %7s %9s %9.1f %9s %9s %8d   (%d workers in parallel)%n", "raw forward", "-", "-",
        rawParallelBatched, "-", "-", maxBatch, w);
    System.out.printf(Locale.ROOT, "raw decode+resize p50 %.2f ms; server overhead at p50 (1 client) = %.2f ms = %.1f %% of"
        + " forward (decode+resize included); at 32 clients micro-batching = %.2fx one-forward-per-request on the same"
        + " %d workers, %.2fx one forward at a time%n",
        decodeMs, c1.p50() - forward1Ms, 100 * overhead, c32.rps() / u32.rps(), w, c32.rps() / s32.rps());
    Results.print("serve.p50_ms", "%.2f", c1.p50());
    Results.print("serve.p99_ms", "%.2f", c1.p99());
    Results.print("serve.forward_bs1_ms", "%.2f", forward1Ms);
    Results.print("serve.overhead_pct", "%.1f", 100 * overhead);
    Results.print("serve.c8_rps", "%.1f", c8.rps());
    Results.print("serve.c32_rps", "%.1f", c32.rps());
    Results.print("serve.c32_rps_one_per_request", "%.1f", u32.rps());
    Results.print("serve.c32_rps_one_at_a_time", "%.1f", s32.rps());
    Results.print("serve.batching_gain", "%.2f", c32.rps() / u32.rps());
    Results.print("serve.batching_gain_vs_one_at_a_time", "%.2f", c32.rps() / s32.rps());
    Results.print("serve.c32_p99_ms", "%.2f", c32.p99());
    System.out.printf(Locale.ROOT, "8 clients while one more asks for explanations back to back: %.1f req/s (%.2fx of"
        + " 8 clients alone), p99 %.2f ms; %.2f explanations/s%n", e8.rps(), e8.rps() / c8.rps(), e8.p99(), explainPerS);
    Results.print("serve.c8_rps_while_explaining", "%.1f", e8.rps());
    Results.print("ratio.serve.c8_while_explaining", "%.2f", e8.rps() / c8.rps());
    Results.print("serve.explanations_per_s", "%.2f", explainPerS);
    return 0;
  }





  /** img/s of {@code workers} threads each running batches of {@code bs} on its own copy, for 4 s after 1 s. */
  private static double parallel(Predictor p, List<byte[]> pixels, int workers, int bs, int threads) throws Exception {
    List<Predictor> copies = new ArrayList<>();
    for (int i = 0; i < workers; i++) {
      copies.add(p.copy(threads));
    }
    List<byte[]> batch = new ArrayList<>();
    for (int i = 0; i < bs; i++) {
      batch.add(pixels.get(i % pixels.size()));
    }
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    long start = System.nanoTime() + 1_000_000_000L;
    long end = start + 4_000_000_000L;
    List<Future<Long>> fs = new ArrayList<>();
    for (Predictor c : copies) {
      fs.add(pool.submit(() -> {
        long n = 0;
        while (true) {
          long t = System.nanoTime();
          if (t >= end) {
            return n;
          }
          c.probabilities(batch);
          if (t >= start && System.nanoTime() <= end) {
            n += bs;
          }
        }
      }));
    }
    long total = 0;
    for (Future<Long> f : fs) {
      total += f.get();
    }
    pool.shutdown();
    copies.forEach(Predictor::close);
    return total / 4.0;
  }

}
