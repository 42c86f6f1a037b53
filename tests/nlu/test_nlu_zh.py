"""Chinese understanding (issue 13): traditional characters, word segmentation, pinyin-only input,
homophone typos, code-mixing, and accuracy on the held-out split and on a check set never trained on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import opencc
import pytest

from dialogues.evaluate import (
    EvaluationReport,
    evaluate,
    evaluate_external,
    format_external,
    format_report,
    load_external,
)
from dialogues.nlu import BuiltinClassifier, load_training_data
from dialogues.nlu.data import DEFAULT_DATA_DIR, load_file
from dialogues.nlu.features import JIEBA_DICT, PINYIN_SYLLABLES, analyze, normalize, split_pinyin

ROOT = Path(__file__).resolve().parents[2]
CHECK_SET = Path(__file__).with_name("zh_check.yml")
# Measured with the default split (seed 13, 20% per intent per language held out): zh 0.928-0.945 depending
# on the English data trained alongside; before this work the same split scored 0.862 on the old data.
HELD_OUT_FLOOR_ZH = 0.90
# Measured 0.978 (89/91); the model before this work scored 0.824 on the same set.
CHECK_SET_FLOOR = 0.92

# An outside check in Chinese, like the Bitext one in English: not committed, and today not buildable either,
# since no openly licensed corpus of real Chinese customer-service messages was found (dialogues/data/README.md,
# "External check in Chinese", lists the sources checked and why each was rejected). The floors are the
# issue's targets, not measured figures.
EXTERNAL_ZH = DEFAULT_DATA_DIR / "external" / "customer_service_zh.csv"
needs_external_zh = pytest.mark.skipif(
    not EXTERNAL_ZH.is_file(),
    reason=(
        f"no Chinese outside corpus: {EXTERNAL_ZH.relative_to(ROOT)} is absent because no openly licensed corpus of "
        "real Chinese customer-service messages was found (see dialogues/data/README.md, 'External check in Chinese')"
    ),
)
EXTERNAL_ZH_ACCURACY_TARGET = 0.75
EXTERNAL_ZH_REPHRASE_TARGET = 0.10

# Real shopper messages the old model got wrong (issue 13): correct intent, not the predicted one.
REAL_MESSAGES = [
    ("有一张信用卡不知道绑定了没", "payment_methods"),  # was payment_problem: asking whether a card is linked
    ("买的生鲜蔬菜什么时候发货", "track_order"),  # was delivery_time: when an existing order ships
    ("能提前派送吗?", "delivery_time"),  # was delivery_options: a timing question
]

# Written as probes, none in the training data (checked below).
PINYIN_MESSAGES = [
    ("wo yao tui kuan", "refund_request"),
    ("you youhuiquan ma", "coupon_question"),
    ("meitian qiandao zai nali", "checkin_question"),
    ("kefu shenme shihou shangban", "contact_hours"),
    ("fapiao zenme kai", "invoice_request"),
    ("zhuan ren gong", "human_agent"),
    ("yunfei duoshao qian", "delivery_cost"),
    ("wodedingdanfahuolema", "track_order"),
    ("ziti dian ji dian kai men", "pickup_points"),
]
MIXED_AND_TYPO_MESSAGES = [
    ("我的 refund 还没到", "refund_request"),
    ("coupon 用不了 怎么办", "coupon_question"),
    ("可以 pay by alipay 吗", "payment_methods"),
    ("delivery fee 多少钱", "delivery_cost"),
    ("我的定单到那了", "track_order"),  # 定单 for 订单, 那 for 哪: same pinyin
    ("退宽什么时候到账", "refund_request"),  # 退宽 for 退款
    ("有惠卷在哪里领", "coupon_question"),  # 有惠卷 for 优惠券
    ("亲 咋取消订单啊", "cancel_order"),
    ("你們的退貨政策是什麼", "return_policy"),
    ("我要投訴你們的送貨員", "complaint"),
]


@pytest.fixture(scope="module")
def classifier() -> BuiltinClassifier:
    return BuiltinClassifier.train(load_training_data())


@pytest.fixture(scope="module")
def report() -> EvaluationReport:
    return evaluate()


def _check_rows() -> list[tuple[str, str]]:
    return load_external(CHECK_SET)


def _features(text: str, prefix: str) -> set[str]:
    return {f for f in analyze(text) if f.startswith(prefix)}


def test_probes_and_check_set_are_not_training_data() -> None:
    trained = {normalize(text) for text, _, _ in load_training_data()}
    probes = [t for t, _ in _check_rows() + PINYIN_MESSAGES + MIXED_AND_TYPO_MESSAGES]
    assert set(REAL_MESSAGES) <= set(_check_rows())
    assert not [t for t in probes if normalize(t) in trained]


def test_traditional_is_folded_to_simplified() -> None:
    assert normalize("我的訂單到哪裡了？請幫我查詢物流") == normalize("我的订单到哪里了？请帮我查询物流")
    s2t = opencc.OpenCC("s2t").convert
    simplified = [t for t, _ in _check_rows() if normalize(t) == t.lower()]
    changed = [t for t in simplified if s2t(t) != t]
    assert len(changed) > 40
    for text in changed:
        assert analyze(s2t(text)) == analyze(text), text


def test_traditional_input_classifies_like_simplified(classifier: BuiltinClassifier) -> None:
    s2t = opencc.OpenCC("s2t").convert
    for text, _ in _check_rows():
        assert classifier.classify(s2t(text)) == classifier.classify(text), text


def test_segmentation_gives_word_features() -> None:
    words = _features("发票抬头写错了 优惠券用不了 我想开发票", "j")
    # Words and word bigrams: 优惠券 is one word, not 优惠 + 券; 开发票 is not 开发 (develop) + 票.
    assert {"j发票", "j抬头", "j发票 抬头", "j优惠券", "j开发票"} <= words
    assert not {"j优惠", "j开发"} & words
    assert _features("where is my order", "j") == set()


def test_trimmed_jieba_dictionary_is_current() -> None:
    assert JIEBA_DICT.stat().st_size < 1_000_000
    result = subprocess.run(
        [sys.executable, "scripts/build_jieba_dict.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_chinese_libraries_load_lazily() -> None:
    # Loading the module or classifying English must not pay for jieba / pypinyin / OpenCC.
    code = (
        "import sys\n"
        "from dialogues.nlu.features import analyze\n"
        "analyze('where is my order 4412')\n"
        "print(sorted(m for m in ('jieba', 'pypinyin', 'opencc') if m in sys.modules))\n"
        "analyze('我的訂單')\n"
        "print(sorted(m for m in ('jieba', 'pypinyin', 'opencc') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "['jieba', 'opencc', 'pypinyin']"], out.stderr


def test_pinyin_meets_characters_and_homophones() -> None:
    assert split_pinyin("wodedingdanzaina") == ["wo", "de", "ding", "dan", "zai", "na"]
    assert split_pinyin("xian") == ["xian"]
    assert split_pinyin("order") is None
    assert _features("tuikuan", "p") == _features("退款", "p") == {"ptui", "pkuan", "ptui kuan"}
    assert _features("tui kuan", "p") == _features("退款", "p")
    assert _features("定单", "p") == _features("订单", "p")  # a pinyin-IME homophone typo
    # English is not read as pinyin even where some words spell syllables ("can", "you", "he").
    assert _features("can you help me", "p") == set()
    assert _features("can he pay", "p") == set()


def test_syllable_table_matches_pypinyin() -> None:
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.pinyin_dict import pinyin_dict

    spelled = {to_normal(p) for readings in pinyin_dict.values() for p in readings.split(",")}
    assert PINYIN_SYLLABLES - {"lue", "nue"} <= spelled
    # Only interjections (hm, hng, m, n, ng, ê) are left out: nobody types them as a question.
    assert {s for s in spelled - PINYIN_SYLLABLES if s.isascii()} == {"hm", "hng", "m", "n", "ng"}


@pytest.mark.parametrize(("text", "intent"), PINYIN_MESSAGES)
def test_pinyin_only_messages(classifier: BuiltinClassifier, text: str, intent: str) -> None:
    assert classifier.classify(text).intent == intent


@pytest.mark.parametrize(("text", "intent"), MIXED_AND_TYPO_MESSAGES)
def test_code_mixed_typo_and_traditional_messages(classifier: BuiltinClassifier, text: str, intent: str) -> None:
    assert classifier.classify(text).intent == intent


@pytest.mark.parametrize(("text", "intent"), REAL_MESSAGES)
def test_real_messages_from_the_issue(classifier: BuiltinClassifier, text: str, intent: str) -> None:
    assert classifier.classify(text).intent == intent


def test_check_set_accuracy(classifier: BuiltinClassifier) -> None:
    rows = _check_rows()
    wrong = [(t, i, classifier.classify(t).intent) for t, i in rows if classifier.classify(t).intent != i]
    assert 1 - len(wrong) / len(rows) >= CHECK_SET_FLOOR, wrong


def test_held_out_accuracy_zh(report: EvaluationReport) -> None:
    assert report.accuracy_by_lang["zh"] >= HELD_OUT_FLOOR_ZH, format_report(report)


@needs_external_zh
def test_chinese_external_texts_never_reach_training_data() -> None:
    trained = {normalize(text) for text, _, _ in load_file(DEFAULT_DATA_DIR / "nlu_zh.yml")}
    leaked = [text for text, _ in load_external(EXTERNAL_ZH) if normalize(text) in trained]
    assert not leaked


@needs_external_zh
def test_chinese_external_corpus_meets_the_issue_targets(classifier: BuiltinClassifier) -> None:
    external = evaluate_external(load_external(EXTERNAL_ZH, split="test"), classifier.classify)
    text = format_external(external)
    assert external.accuracy >= EXTERNAL_ZH_ACCURACY_TARGET, text
    assert external.rephrase_rate <= EXTERNAL_ZH_REPHRASE_TARGET, text
