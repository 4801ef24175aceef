package dev.streamfit.app;

import dev.streamfit.engine.Distillation;
import dev.streamfit.pipeline.CommonOptions;
import dev.streamfit.pipeline.Configs;
import dev.streamfit.pipeline.Dataset;
import dev.streamfit.pipeline.Pipeline;
import dev.streamfit.pipeline.TrainerOptions;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.serving.ActiveModel;
import dev.streamfit.serving.RunsTable;
import dev.streamfit.trainer.TrainerConfig;
import dev.streamfit.trainer.TrainerStage;
import dev.streamfit.trainer.TrainerStatus;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The demo's distillation step: after the teacher's run, a student trainer reads the same {@code images.augmented}
 * samples, learns from the served champion's soft targets and the labels, and is published as its own model (served
 * beside the teacher); then teacher and student are compared on validation and test accuracy, model size and batch-1
 * latency (over HTTP, one request at a time, alternating, same run). Not thread-safe; one call per demo.
 */
final class DistillStep {
  /** The student's trainer flags, parsed as {@code streamfit train} would (its own defaults, not the teacher's). */
  @Command(name = "student")
  static final class StudentArgs {
    @Mixin
    CommonOptions common;

    @Mixin
    TrainerOptions trainer;
  }

  private DistillStep() {}

  /** Parses {@code args} (whitespace-separated trainer flags); the error names {@code --student}. */
  static StudentArgs parse(String args) {
    StudentArgs a = new StudentArgs();
    try {
      new CommandLine(a).parseArgs(args.isBlank() ? new String[0] : args.trim().split("\\s+"));
    } catch (CommandLine.ParameterException e) {
      throw new IllegalArgumentException("demo.student: " + e.getMessage() + " in --student '" + args + "'", e);
    }
    return a;
  }

  /** Name the student of model {@code teacher} is published under. */
  static String studentName(String teacher) {
    return teacher + "-student";
  }

  /**
   * Trains the student from {@code teacher} (the demo's champion, made from {@code teacherSampleSize}-px samples),
   * waits until it has trained and evaluated every train sample and serving answers its last version, then prints the
   * comparison and its RESULT lines. Returns false when a request failed.
   */
  static boolean run(Pipeline p, Dataset data, ModelVersion teacher, int teacherSampleSize, StudentArgs a,
      Path runDir, Duration timeout, PrintStream out) throws InterruptedException, TimeoutException, IOException {
    String name = studentName(data.modelName());
    a.trainer.distillFrom = teacher.getModelName() + "@" + teacher.getVersion();
    if (a.trainer.sampleSize == null) {
      a.trainer.sampleSize = teacherSampleSize;
    }
    TrainerConfig cfg = Configs.trainer(p.bootstrapServers(), p.topics(), a.common, a.trainer,
        runDir.resolve("student-checkpoints"), name, data.labels());
    Distillation d = cfg.training().distillation();
    out.printf(Locale.ROOT, "%ndistil   student %s: %s at %d px from %s v%d (T %.1f, soft-target weight %.2f), on %s%n",
        name, cfg.base().id(), cfg.imageSize(), teacher.getModelName(), teacher.getVersion(), d.temperature(),
        d.weight(), cfg.inputTopic());
    long t0 = System.nanoTime();
    long expected = p.watcher().trainSamples();
    ModelVersion student;
    try (TrainerStage s = TrainerStage.start(cfg)) {
      long deadline = System.nanoTime() + timeout.toNanos();
      long lastPrint = 0;
      while (true) {
        TrainerStatus ts = s.status();
        if (ts.failure() != null) {
          throw new IllegalStateException("student trainer failed: " + ts.failure());
        }
        ActiveModel served = p.serving().active(name);
        boolean done = ((ts.samplesTrained() >= expected && ts.evaluatedSamples() >= expected) || ts.stoppedEarly())
            && ts.lastVersion() > 0 && served != null && served.version() == ts.lastVersion();
        if (System.nanoTime() - lastPrint > 5_000_000_000L || done) {
          lastPrint = System.nanoTime();
          out.printf(Locale.ROOT, "progress student trained %d/%d samples, step %d | serving %s (%.0f s)%n",
              ts.samplesTrained(), expected, ts.steps(), served == null ? "no version yet" : "v" + served.version(),
              (System.nanoTime() - t0) / 1e9);
        }
        if (done) {
          student = served.metadata();
          out.println();
          out.println("student evaluations");
          DemoCommand.printHistory(ts.history(), out);
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new TimeoutException("student did not finish within " + timeout + " (trained " + ts.samplesTrained()
              + "/" + expected + "); give it longer with --timeout");
        }
        Thread.sleep(250);
      }
    }
    double trainWall = (System.nanoTime() - t0) / 1e9;
    return compare(p, data, teacher, student, trainWall, out);
  }

  private static boolean compare(Pipeline p, Dataset data, ModelVersion teacher, ModelVersion student, double trainWall,
      PrintStream out) throws IOException, InterruptedException {
    List<Path> images = testImages(data);
    String base = "http://127.0.0.1:" + p.port();
    URI[] urls = {URI.create(base + "/v1/predict"), URI.create(base + "/v1/models/" + student.getModelName() + "/predict")};
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<byte[]> bodies = new ArrayList<>();
    for (Path f : images) {
      bodies.add(Files.readAllBytes(f));
    }
    int rounds = Math.max(100, Math.min(400, bodies.size()));
    long[][] ns = new long[2][rounds];
    for (int i = -20; i < rounds; i++) { // 20 warm-up rounds
      byte[] body = bodies.get(Math.floorMod(i, bodies.size()));
      for (int m = 0; m < 2; m++) {
        int which = (i & 1) == 0 ? m : 1 - m; // alternate who goes first
        long t = System.nanoTime();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(urls[which]).header("Content-Type", "image/jpeg")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        long dt = System.nanoTime() - t;
        if (r.statusCode() != 200) {
          out.println("distil   " + urls[which] + " answered HTTP " + r.statusCode() + ": " + r.body());
          return false;
        }
        if (i >= 0) {
          ns[which][i] = dt;
        }
      }
    }
    double[] forward = forwardMs(p, teacher, student);
    double[] p50 = {median(ns[0]), median(ns[1])};
    long[] params = {p.serving().active(String.valueOf(teacher.getModelName())).predictor().parameterCount(),
        p.serving().active(String.valueOf(student.getModelName())).predictor().parameterCount()};
    out.println();
    out.println("teacher vs student (validation picked each; test read once; batch 1 over HTTP, one request at a time,"
        + " alternating, " + rounds + " test images each; forward = in-process batch-1 pass, median of 50)");
    out.println("  model                                   base                 input  params M  val acc  test acc"
        + "  p50 ms  forward ms");
    ModelVersion[] mv = {teacher, student};
    for (int m = 0; m < 2; m++) {
      out.printf(Locale.ROOT, "  %-38s  %-19s  %5d  %8.2f  %7s  %8s  %6.2f  %10.2f%n",
          mv[m].getModelName() + " v" + mv[m].getVersion(), mv[m].getProvenance().getBaseModel(),
          mv[m].getInput().getHeight(), params[m] / 1e6,
          DemoCommand.fmt(mv[m].getMetrics().get("val.accuracy")), DemoCommand.fmt(mv[m].getMetrics().get("test.accuracy")),
          p50[m] / 1e6, forward[m]);
    }
    double valGap = mv[0].getMetrics().getOrDefault("val.accuracy", Double.NaN)
        - mv[1].getMetrics().getOrDefault("val.accuracy", Double.NaN);
    out.println();
    out.println("runs side by side (as `streamfit runs` prints them)");
    out.print(RunsTable.markdown(RunsTable.group(RunsCommand.read(p.bootstrapServers(),
        List.of(p.topics().trainingMetrics())))));
    out.printf(Locale.ROOT, "RESULT distill.teacher.val.accuracy %s%n", DemoCommand.fmt(mv[0].getMetrics().get("val.accuracy")));
    out.printf(Locale.ROOT, "RESULT distill.student.val.accuracy %s%n", DemoCommand.fmt(mv[1].getMetrics().get("val.accuracy")));
    out.printf(Locale.ROOT, "RESULT distill.student.test.accuracy %s%n", DemoCommand.fmt(mv[1].getMetrics().get("test.accuracy")));
    out.printf(Locale.ROOT, "RESULT distill.val_gap_points %.2f%n", 100 * valGap);
    out.printf(Locale.ROOT, "RESULT ratio.latency.bs1.teacher_over_student %.2f%n", p50[0] / p50[1]);
    out.printf(Locale.ROOT, "RESULT ratio.forward.bs1.teacher_over_student %.2f%n", forward[0] / forward[1]);
    out.printf(Locale.ROOT, "RESULT ratio.params.teacher_over_student %.2f%n", (double) params[0] / params[1]);
    out.printf(Locale.ROOT, "RESULT distill.train.wall_s %.1f%n", trainWall);
    return true;
  }

  // Median ms of 50 batch-1 passes of each served predictor on random pixels at its own size, alternating.
  private static double[] forwardMs(Pipeline p, ModelVersion teacher, ModelVersion student) {
    ActiveModel[] m = {p.serving().active(String.valueOf(teacher.getModelName())),
        p.serving().active(String.valueOf(student.getModelName()))};
    Random r = new Random(1);
    long[][] ns = new long[2][50];
    for (int i = -5; i < 50; i++) {
      for (int k = 0; k < 2; k++) {
        byte[] px = new byte[m[k].predictor().height() * m[k].predictor().width() * 3];
        r.nextBytes(px);
        long t = System.nanoTime();
        m[k].predictor().probabilities(List.of(px));
        if (i >= 0) {
          ns[k][i] = System.nanoTime() - t;
        }
      }
    }
    return new double[] {median(ns[0]) / 1e6, median(ns[1]) / 1e6};
  }

  private static double median(long[] xs) {
    long[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
  }

  private static List<Path> testImages(Dataset data) throws IOException {
    for (String split : List.of("test", "validation", "train")) {
      Path dir = data.dir().resolve(split);
      if (Files.isDirectory(dir)) {
        try (Stream<Path> s = Files.walk(dir)) {
          List<Path> found = s.filter(Files::isRegularFile).filter(Dataset::isImageName).sorted().toList();
          if (!found.isEmpty()) {
            return found;
          }
        }
      }
    }
    throw new IllegalArgumentException("--data " + data.dir() + " has no image to time the models on");
  }
}
