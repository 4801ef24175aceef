package dev.streamfit.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.common.kafka.TopicsAdmin;
import dev.streamfit.engine.BaseModel;
import dev.streamfit.engine.Distillation;
import dev.streamfit.engine.HeadSpec;
import dev.streamfit.engine.ScratchShape;
import dev.streamfit.engine.TrainingSpec;
import dev.streamfit.schemas.AugmentationParams;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Distillation on a real broker: a teacher trainer publishes, then a student of another architecture and input size
 * reads the same samples, learns from the teacher's newest version and is published as its own model, with the
 * teacher version, temperature, weight and sample size in its provenance. A missing teacher and impossible
 * combinations are refused with what to change.
 */
@ExtendWith(KafkaBrokerExtension.class)
class DistillTrainerTest {
  static final int SAMPLE_SIZE = 48;
  static final int STUDENT_SIZE = 32;

  @TempDir
  Path dir;

  TrainerConfig teacher(String bootstrap, Topics topics) {
    return new TrainerConfig(bootstrap, topics, "g-teacher", dir.resolve("teacher"), "synthetic", TrainerStageTest.LABELS,
        BaseModel.MOBILENET_V2_035, SAMPLE_SIZE, new TrainingSpec(HeadSpec.SOFTMAX, TrainingSpec.Optimizer.ADAM,
        0.01, 0.9, 0, 0.001, List.of()), LrSchedule.CONSTANT, 8, 1L, 32, new TrainerPolicy(1000, 0, 0, 0, 2, 0.0, 0),
        false, TrainerConfig.Rehearsal.OFF, ScratchShape.DEFAULT, TrainerConfig.Windows.DEFAULT,
        TrainerConfig.Input.PIXELS);
  }

  TrainerConfig student(String bootstrap, Topics topics, TrainerConfig.Teacher teacher) {
    TrainingSpec spec = new TrainingSpec(HeadSpec.SOFTMAX, TrainingSpec.Optimizer.ADAM, 0.01, 0.9, 0, 0.001, List.of());
    return new TrainerConfig(bootstrap, topics, "g-student", dir.resolve("student"), "synthetic-student",
        TrainerStageTest.LABELS, BaseModel.SCRATCH_CNN, STUDENT_SIZE, spec, LrSchedule.CONSTANT, 8, 2L, 32,
        new TrainerPolicy(1000, 0, 0, 0, 2, 0.0, 0), false, TrainerConfig.Rehearsal.OFF, ScratchShape.DEFAULT,
        TrainerConfig.Windows.DEFAULT, TrainerConfig.Input.PIXELS)
        .withTeacher(teacher, new Distillation(2, 0.5), SAMPLE_SIZE);
  }

  /** Validation + test, then 3 epochs of train, at {@link #SAMPLE_SIZE} px: colour encodes the label. */
  static void produce(String bootstrap, Topics topics) throws Exception {
    AvroSerde<AugmentedSample> serde = AvroSerde.of(AugmentedSample.class);
    Random r = new Random(3);
    List<AugmentedSample> samples = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      samples.add(sample(r, "v" + i, i % 3, i < 15 ? Split.VALIDATION : Split.TEST, 0));
    }
    for (int epoch = 0; epoch < 3; epoch++) {
      for (int i = 0; i < TrainerStageTest.PER_EPOCH; i++) {
        samples.add(sample(r, "t" + i, i % 3, Split.TRAIN, epoch));
      }
    }
    try (KafkaProducer<String, byte[]> p = TrainerStageTest.producer(bootstrap)) {
      List<Future<?>> sent = new ArrayList<>();
      for (AugmentedSample s : samples) {
        sent.add(p.send(new ProducerRecord<>(topics.augmented(), 0, s.getSourceId(), serde.encode(s))));
      }
      for (Future<?> f : sent) {
        f.get();
      }
    }
  }

  static AugmentedSample sample(Random r, String id, int label, Split split, int epoch) {
    byte[] px = new byte[SAMPLE_SIZE * SAMPLE_SIZE * 3];
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) Math.max(0, Math.min(255, (i % 3 == label ? 200 : 40) + r.nextInt(90) - 45));
    }
    return AugmentedSample.newBuilder().setSourceId(id).setEpoch(epoch).setVariant(0)
        .setLabel(TrainerStageTest.LABELS.get(label)).setSplit(split).setHeight(SAMPLE_SIZE).setWidth(SAMPLE_SIZE)
        .setChannels(3).setPixels(ByteBuffer.wrap(px)).setAugmentation(AugmentationParams.newBuilder().setSeed(epoch)
            .setApplied(split == Split.TRAIN).setSpecHash("t").build()).build();
  }

  @Test
  void aStudentOfAnotherSizeLearnsFromTheTeachersNewestVersionAndIsPublishedAsItsOwnModel(KafkaBroker broker)
      throws Exception {
    String bootstrap = broker.bootstrapServers();
    Topics topics = new Topics("distil-", 1, (short) 1);
    TopicsAdmin.ensure(bootstrap, topics, Duration.ofSeconds(30));
    produce(bootstrap, topics);
    int all = 3 * TrainerStageTest.PER_EPOCH;

    assertThatThrownBy(() -> TrainerStage.start(student(bootstrap, topics, new TrainerConfig.Teacher("synthetic", 0))))
        .hasMessageContaining("no version of model 'synthetic'").hasMessageContaining("--distill-from");

    TrainerStatus teacher;
    try (TrainerStage t = TrainerStage.start(teacher(bootstrap, topics))) {
      teacher = TrainerStageTest.awaitEvaluated(t, all);
    }
    assertThat(teacher.failure()).isNull();
    assertThat(teacher.lastVersion()).isPositive();

    TrainerStatus st;
    try (TrainerStage s = TrainerStage.start(student(bootstrap, topics, new TrainerConfig.Teacher("synthetic", 0)))) {
      st = TrainerStageTest.awaitEvaluated(s, all);
    }
    assertThat(st.failure()).isNull();
    assertThat(st.samplesTrained()).isEqualTo(all);
    List<ModelVersion> versions = TrainerStageTest.readAll(bootstrap, topics.models(), AvroSerde.of(ModelVersion.class)::decode);
    List<ModelVersion> students = versions.stream().filter(v -> v.getModelName().equals("synthetic-student")).toList();
    assertThat(students).isNotEmpty();
    assertThat(students).extracting(ModelVersion::getVersion).startsWith(1L); // its own numbering
    ModelVersion last = students.get(students.size() - 1);
    assertThat(last.getInput().getHeight()).isEqualTo(STUDENT_SIZE);
    assertThat(last.getProvenance().getBaseModel()).isEqualTo("scratch-cnn");
    assertThat(last.getProvenance().getConfig())
        .containsEntry("distill-from", "synthetic@" + teacher.lastVersion()) // the version taken, not "newest"
        .containsEntry("distill-temperature", "2.0").containsEntry("distill-weight", "0.5")
        .containsEntry("sample-size", String.valueOf(SAMPLE_SIZE))
        .containsEntry("image-size", String.valueOf(STUDENT_SIZE));
    assertThat(last.getMetrics().get("val.accuracy")).as("colour classes, chance 0.33").isGreaterThanOrEqualTo(0.8);
    // The student's loss is the distillation one: a soft-target term that is 0 only when it matches the teacher.
    assertThat(last.getMetrics().get("train.loss")).isPositive();

    assertThatThrownBy(() -> TrainerStage.start(student(bootstrap, topics, new TrainerConfig.Teacher("synthetic", 99))))
        .hasMessageContaining("has no version 99");
  }

  @Test
  void impossibleCombinationsAreRefusedWithTheFlagToChange() {
    Topics topics = new Topics("x-", 1, (short) 1);
    TrainerConfig ok = student("localhost:1", topics, new TrainerConfig.Teacher("synthetic", 0));
    assertThatThrownBy(() -> ok.withInput(TrainerConfig.Input.FEATURES)).hasMessageContaining("--trainer-input pixels");
    assertThatThrownBy(() -> ok.withTeacher(new TrainerConfig.Teacher("synthetic-student", 0), new Distillation(2, 0.5), 32))
        .hasMessageContaining("another model").hasMessageContaining("--model-name");
    assertThatThrownBy(() -> ok.withTeacher(null, new Distillation(2, 0.5), 32)).hasMessageContaining("--distill-from");
    assertThatThrownBy(() -> ok.withGrowth(true, TrainerConfig.Rehearsal.OFF)).hasMessageContaining("--grow-labels");
    assertThatThrownBy(() -> TrainerConfig.Teacher.parse("m@x")).hasMessageContaining("NAME@VERSION");
    assertThat(TrainerConfig.Teacher.parse("m@3")).isEqualTo(new TrainerConfig.Teacher("m", 3));
    assertThat(TrainerConfig.Teacher.parse("m")).isEqualTo(new TrainerConfig.Teacher("m", 0));
  }
}
