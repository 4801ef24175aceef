package dev.streamfit.trainer;

import dev.streamfit.engine.Classifier;
import dev.streamfit.engine.InputContract;
import dev.streamfit.trainer.internal.Checkpoint;
import dev.streamfit.trainer.internal.Judge;
import dev.streamfit.trainer.internal.SampleSource;
import dev.streamfit.trainer.internal.TeacherModel;
import dev.streamfit.trainer.internal.TrainerState;
import dev.streamfit.trainer.internal.TrainingLoop;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How a trainer begins: from its newest valid checkpoint, or from a new classifier. Stateless. */
final class Startup {
  private static final Logger LOG = LoggerFactory.getLogger(TrainerStage.class);

  /**
   * Where training begins.
   *
   * @param resend a version the checkpoint counted as published, to send again if it is not on the topic; nullable
   * @param checkpoint the checkpoint resumed from; null for a new classifier
   */
  record Begun(TrainingLoop loop, Judge judge, TrainerState.Pending resend, Path checkpoint) {}

  private Startup() {}

  /**
   * Resumes from the newest valid checkpoint in the config's directory, or builds a new classifier; the loop distils
   * from {@code teacher} (nullable; taken over by the loop).
   */
  static Begun begin(TrainerConfig config, TeacherModel teacher) {
    try {
      Checkpoint.deleteStaleTemps(config.checkpointDir());
      while (true) {
        var loaded = Checkpoint.newestValid(config.checkpointDir(),
            (path, why) -> LOG.warn("checkpoint {} skipped: {}; falling back to the previous one", path, why));
        if (loaded.isEmpty()) {
          break;
        }
        Checkpoint c = loaded.get().checkpoint();
        TrainerState.Progress progress = c.state().progress();
        checkLabels(config, progress.labels(), loaded.get().path());
        Classifier model;
        try {
          model = Classifier.fromBytes(c.model(), true, InputContract.square(config.imageSize()));
        } catch (IOException | RuntimeException e) {
          LOG.warn("checkpoint {} has a model that does not load ({}); setting it aside", loaded.get().path(), e.toString());
          Files.move(loaded.get().path(), loaded.get().path().resolveSibling(loaded.get().path().getFileName() + ".bad"));
          continue;
        }
        if (model.classes() != progress.labels().size()) {
          model.close();
          throw new IllegalStateException("checkpoint " + loaded.get().path() + " has a model of " + model.classes()
              + " outputs for labels " + progress.labels() + "; start with a new --checkpoint-dir");
        }
        TrainingLoop loop = new TrainingLoop(config, model, teacher, progress, refs -> SampleSource.reread(config, refs));
        Judge judge = new Judge(config, c.state().judgement(), c.champion(), System.nanoTime());
        LOG.info("resumed from checkpoint {} (step {}, epoch {}, version {}, {} labels, {} validation samples, offsets {})",
            loaded.get().path(), progress.step(), progress.epoch(), c.state().judgement().version(),
            progress.labels().size(), loop.validationSize(), progress.nextOffsets());
        return new Begun(loop, judge, c.state().judgement().pending(), loaded.get().path());
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read checkpoints in " + config.checkpointDir() + ": " + e.getMessage(), e);
    }
    long t0 = System.nanoTime();
    Classifier model = Classifier.create(config.base(), config.training(), config.scratch(), config.labels(),
        config.seed(), config.imageSize());
    LOG.info("built classifier on {} in {} ms; trainable layers {}", config.base().id(),
        (System.nanoTime() - t0) / 1_000_000, model.trainableLayers());
    if (config.input() == TrainerConfig.Input.FEATURES) {
      String cut = model.frozenCut();
      if (!cut.equals(config.prefix().cut())) {
        model.close();
        throw new IllegalStateException("the classifier's frozen part ends at " + cut + ", the features stage's prefix at "
            + config.prefix().cut());
      }
      LOG.info("training the top on {} (frozen prefix {}, {})", config.inputTopic(), config.prefix().describe(),
          config.prefix().shortHash());
    }
    return new Begun(new TrainingLoop(config, model, teacher, TrainerState.Progress.initial(config.labels()),
        refs -> Map.of()),
        new Judge(config, TrainerState.Judgement.initial(config.labels().size()), new byte[0], System.nanoTime()), null,
        null);
  }

  /** Labels recorded in a checkpoint; those the trainer was started with must be their first ones. */
  private static void checkLabels(TrainerConfig config, List<String> saved, Path from) {
    if (saved.size() < config.labels().size() || !saved.subList(0, config.labels().size()).equals(config.labels())) {
      throw new IllegalStateException("checkpoint " + from + " was trained on labels " + saved + ", which do not start with"
          + " the configured " + config.labels() + "; start with the labels it was trained with, or a new --checkpoint-dir");
    }
  }
}
