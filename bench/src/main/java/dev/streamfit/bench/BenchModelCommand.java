package dev.streamfit.bench;

import dev.streamfit.bench.report.Results;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamfit.engine.BaseModel;
import dev.streamfit.engine.CpuTuning;
import dev.streamfit.engine.Models;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code streamfit bench model}: frozen-base forward and head-training throughput of the optimized
 * bases, beside stock DL4J and a PyTorch peer timed in the same run.
 */
@Command(name = "model", mixinStandardHelpOptions = true,
    description = "Forward and head-training img/s of each base (optimized), beside stock DL4J and PyTorch (bench/torch_peer.py).")
public final class BenchModelCommand implements Callable<Integer> {
  @Option(names = "--bases", split = ",", defaultValue = "mobilenetv2-0.35,mobilenet-v1-0.75",
      description = "Bases to time (default ${DEFAULT-VALUE}).")
  List<String> bases;

  @Option(names = "--sizes", split = ",", defaultValue = "160,224", description = "Input sides (default ${DEFAULT-VALUE}).")
  List<Integer> sizes;

  @Option(names = "--configs", split = ",", defaultValue = "1:1,1:2,16:2",
      description = "batch:threads pairs (default ${DEFAULT-VALUE}).")
  List<String> configs;

  @Option(names = "--runs", defaultValue = "5", description = "Timed runs per figure, median reported (default ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--no-peer", description = "Skip the PyTorch peer.")
  boolean noPeer;

  @Option(names = "--no-stock", description = "Skip stock DL4J (as imported, helpers off; slow).")
  boolean noStock;

  @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch + torchvision (default ${DEFAULT-VALUE}).")
  String python;

  record Row(String key, double forward, double trainHead) {}

  /** Ten outputs, as the worked example's head has: the timing does not depend on their names. */
  private static final List<String> SYNTHETIC_LABELS = IntStream.range(0, 10)
      .mapToObj(i -> "class" + i).toList();

  @Override
  public Integer call() throws Exception {
    if (runs < 3) {
      throw new IllegalArgumentException("bench.runs must be >= 3, was " + runs + " (set --runs)");
    }
    Map<String, Row> ours = new LinkedHashMap<>();
    Map<String, double[]> stock = new LinkedHashMap<>();
    List<int[]> pairs = configs.stream().map(c -> Arrays.stream(c.split(":")).mapToInt(Integer::parseInt).toArray()).toList();
    if (!noStock) {
      stock = stock(pairs);
    }
    for (String id : bases) {
      BaseModel base = BaseModel.fromId(id);
      for (int size : sizes) {
        ComputationGraph optimized = Models.optimizedBase(base, size);
        ComputationGraph classifier = Models.classifierOn(Models.optimizedBase(base, size), base,
            SYNTHETIC_LABELS, 5e-3, 1);
        for (int[] p : pairs) {
          int bs = p[0];
          int threads = p[1];
          INDArray x = Nd4j.rand(new int[] {bs, 3, size, size}).muli(2).subi(1);
          INDArray y = Nd4j.zeros(bs, 10);
          for (int i = 0; i < bs; i++) {
            y.putScalar(i, i % 10, 1);
          }
          DataSet ds = new DataSet(x, y);
          CpuTuning.setThreads(threads);
          double fwd = medianRate(() -> optimized.outputSingle(false, x), bs);
          double train = medianRate(() -> classifier.fit(ds), bs);
          String key = id + "." + size + ".bs" + bs + ".t" + threads;
          ours.put(key, new Row(key, fwd, train));
          System.err.printf(Locale.ROOT, "  %-34s forward %7.1f img/s  head-train %7.1f img/s%n", key, fwd, train);
        }
      }
    }
    JsonNode peer = noPeer ? null : peer();
    print(ours, stock, peer);
    return 0;
  }

  private Map<String, double[]> stock(List<int[]> pairs) {
    // Stock = DL4J as shipped: the Keras graph as imported (NHWC, BatchNorm, ReLU(max=6)) with the
    // oneDNN helpers off (M2.1's default) — only for MobileNetV2-0.35 at 224.
    Map<String, double[]> out = new LinkedHashMap<>();
    String before = System.getProperty(CpuTuning.HELPERS_DISABLE);
    System.setProperty(CpuTuning.HELPERS_DISABLE, "true");
    ComputationGraph g;
    try {
      g = Models.importBase(BaseModel.MOBILENET_V2_035);
    } finally {
      System.setProperty(CpuTuning.HELPERS_DISABLE, before == null ? "false" : before);
    }
    for (int[] p : pairs) {
      INDArray x = Nd4j.rand(new int[] {p[0], 224, 224, 3}).muli(2).subi(1);
      CpuTuning.setThreads(p[1]);
      double r = medianRate(() -> g.outputSingle(false, x), p[0]);
      out.put("mobilenetv2-0.35.224.bs" + p[0] + ".t" + p[1], new double[] {r});
      System.err.printf(Locale.ROOT, "  stock mobilenetv2-0.35.224.bs%d.t%d forward %.1f img/s%n", p[0], p[1], r);
    }
    return out;
  }

  /** Warm-up 3 calls, then iterations per run calibrated to ≥ 0.5 s, median of {@code runs} runs. */
  private double medianRate(Runnable fn, int images) {
    for (int i = 0; i < 3; i++) {
      fn.run();
    }
    int n = 1;
    while (true) {
      long t = System.nanoTime();
      for (int i = 0; i < n; i++) {
        fn.run();
      }
      if (System.nanoTime() - t >= 500_000_000L) {
        break;
      }
      n *= 2;
    }
    List<Double> rates = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      long t = System.nanoTime();
      for (int i = 0; i < n; i++) {
        fn.run();
      }
      rates.add(n * images / ((System.nanoTime() - t) / 1e9));
    }
    Collections.sort(rates);
    return rates.get(rates.size() / 2);
  }

  private JsonNode peer() {
    Path script = Path.of(System.getProperty("streamfit.home", ".")).resolve("bench/torch_peer.py");
    List<String> cmd = List.of(python, script.toString(), "--bases", String.join(",", bases), "--sizes",
        String.join(",", sizes.stream().map(String::valueOf).toList()), "--configs", String.join(",", configs),
        "--runs", String.valueOf(runs));
    try {
      System.err.println("  peer: " + String.join(" ", cmd));
      Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
        System.err.println("  peer failed (exit " + p.exitValue() + "); install Debian python3-torch python3-torchvision");
        return null;
      }
      return new ObjectMapper().readTree(out.lines().reduce((a, b) -> b).orElse("{}"));
    } catch (IOException e) {
      System.err.println("  peer unavailable: " + e.getMessage());
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private void print(Map<String, Row> ours, Map<String, double[]> stock, JsonNode peer) {
    String torch = peer == null ? "n/a" : peer.path("torch").asText();
    System.out.println();
    System.out.printf("%-34s %12s %12s %12s %14s %12s %9s %12s%n", "base.size.batch.threads", "stock fwd", "DL4J fwd",
        "torch fwd", "torch best of", "DL4J train", "torch trn", "fwd ratio");
    Map<String, String> results = new LinkedHashMap<>();
    for (Row r : ours.values()) {
      JsonNode t = peer == null ? null : peer.get(r.key());
      double tf = t == null ? Double.NaN : t.path("forward").asDouble(Double.NaN);
      double tt = t == null ? Double.NaN : t.path("train_head").asDouble(Double.NaN);
      double[] s = stock.get(r.key());
      System.out.printf(Locale.ROOT, "%-34s %12s %12.1f %12s %14s %12.1f %9s %12s%n", r.key(), s == null ? "" : fmt(s[0]),
          r.forward(), fmt(tf), t == null ? "" : t.path("best").asText(""), r.trainHead(), fmt(tt), Double.isNaN(tf) ? "n/a" : String.format(Locale.ROOT, "%.2f×", r.forward() / tf));
      String k = r.key().substring(0, r.key().lastIndexOf(".t"));
      boolean defaultThreads = r.key().endsWith(".t" + defaultThreads(Integer.parseInt(k.substring(k.lastIndexOf("bs") + 2))));
      if (defaultThreads) {
        results.put("forward." + k, fmt(r.forward()));
        results.put("train_head." + k, fmt(r.trainHead()));
        if (!Double.isNaN(tf)) {
          results.put("torch.forward." + k, fmt(tf));
          results.put("ratio.forward." + k, String.format(Locale.ROOT, "%.2f", r.forward() / tf));
        }
        if (s != null) {
          results.put("stock.forward." + k, fmt(s[0]));
        }
      }
    }
    System.out.println("(img/s, median of " + runs + " runs after warm-up; torch " + torch
        + ": the fastest of eager, traced + frozen, + optimize_for_inference, + channels-last that computes what eager mode does (torch best of); threads per row;"
        + " RESULT lines use streamfit's default threads per batch)");
    if (peer != null) {
      peer.fields().forEachRemaining(e -> {
        if (e.getValue().has("variants")) {
          StringBuilder b = new StringBuilder("  torch " + e.getKey() + ":");
          e.getValue().get("variants").fields().forEachRemaining(v -> b.append(String.format(Locale.ROOT, " %s %.1f",
              v.getKey(), v.getValue().asDouble())));
          e.getValue().path("wrong").fields().forEachRemaining(v -> b.append(String.format(Locale.ROOT,
              " %s wrong (relative error %.2g, left out)", v.getKey(), v.getValue().asDouble())));
          System.out.println(b);
        }
      });
    }
    results.forEach((k, v) -> Results.print(k, String.valueOf(v)));
  }

  private static int defaultThreads(int batch) {
    int cores = Runtime.getRuntime().availableProcessors();
    return batch <= 1 ? Math.max(1, cores / 2) : cores;
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.1f", v);
  }
}
