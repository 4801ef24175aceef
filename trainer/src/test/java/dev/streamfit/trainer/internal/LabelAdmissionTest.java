package dev.streamfit.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.schemas.LabelSet;
import dev.streamfit.schemas.RejectReason;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Known labels train, new ones grow the set only when allowed, and every refusal says why. */
class LabelAdmissionTest {
  static final LabelSet AB = LabelSet.of(List.of("ant", "bee"), "test");

  @Test
  void knownLabelsKeepTheirIndex() {
    assertThat(LabelAdmission.of(AB, false, "bee")).isEqualTo(new LabelAdmission.Known(1));
    assertThat(LabelAdmission.of(AB, true, "ant")).isEqualTo(new LabelAdmission.Known(0));
  }

  @Test
  void anUnknownLabelIsRefusedNamingTheSetAndTheFlag() {
    var r = (LabelAdmission.Refused) LabelAdmission.of(AB, false, "cat");
    assertThat(r.reason()).isEqualTo(RejectReason.UNKNOWN_LABEL);
    assertThat(r.message()).contains("'cat'", "[ant, bee]", "--grow-labels");
  }

  @Test
  void growingAppendsSoThatOldIndicesStay() {
    var a = (LabelAdmission.Added) LabelAdmission.of(AB, true, "cat");
    assertThat(a.labels().labels()).containsExactly("ant", "bee", "cat");
    assertThat(LabelAdmission.of(a.labels(), true, "cat")).isEqualTo(new LabelAdmission.Known(2));
  }

  @Test
  void growingStillRefusesBadCaseOnlyAndTooManyLabels() {
    var bad = (LabelAdmission.Refused) LabelAdmission.of(AB, true, "a/b");
    assertThat(bad.reason()).isEqualTo(RejectReason.INVALID_LABEL);
    var empty = (LabelAdmission.Refused) LabelAdmission.of(AB, true, "");
    assertThat(empty.reason()).isEqualTo(RejectReason.INVALID_LABEL);
    var caseOnly = (LabelAdmission.Refused) LabelAdmission.of(AB, true, "Bee");
    assertThat(caseOnly.reason()).isEqualTo(RejectReason.UNKNOWN_LABEL);
    assertThat(caseOnly.message()).contains("differ only in case");
    var none = (LabelAdmission.Refused) LabelAdmission.of(AB, true, null);
    assertThat(none.reason()).isEqualTo(RejectReason.UNKNOWN_LABEL);
    List<String> many = new ArrayList<>();
    for (int i = 0; i < LabelSet.MAX_CLASSES; i++) {
      many.add("c" + i);
    }
    var full = (LabelAdmission.Refused) LabelAdmission.of(LabelSet.of(many, "test"), true, "one-more");
    assertThat(full.message()).contains("2 to 1000");
  }
}
