"""Text normalisation and the feature analyzer shared by training and inference.

One analyzer serves both languages. Feature names carry a prefix so the kinds never collide:

- ``z``: CJK character 1-2 grams (robust to segmentation mistakes and typos inside words);
- ``j``: jieba words and word bigrams of each CJK run (word-level meaning: 发票 is not 发 + 票);
- ``p``: toneless pinyin syllable 1-2 grams, from CJK text and from Latin messages that read as pinyin
  throughout, so "tuikuan" meets 退款 and a homophone typo (定单) meets the right word (订单);
- ``c``: char 1-4 grams inside padded Latin words (robust to English typos);
- ``w``: Latin word uni/bigrams.

Traditional characters are folded to simplified (OpenCC t2s, store.chinese_script: search folds the same way)
before anything else, so 訂單 is 订单.
jieba segments with a trimmed copy of its dictionary (jieba_dict.txt, built by scripts/build_jieba_dict.py):
the full one costs ~1 s of CPU and ~100 MB per process for words the model never saw in training. jieba,
pypinyin and OpenCC load lazily on the first message that needs them, once per process: English traffic
never pays for them and neither does loading a cached model. `warm_up()` loads them ahead of time.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from store import chinese_script

# Bump when the analyzer changes: it is part of the model cache key.
FEATURES_VERSION = "f3-jieba-pinyin-t2s"

CJK_CHAR_NGRAMS = (1, 2)
LATIN_CHAR_NGRAMS = (1, 4)
WORD_NGRAMS = 2

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD_RE = re.compile(r"[a-z0-9]+")
# Order numbers and amounts carry no intent; folding them keeps "order 4412" close to "order 77".
_LONG_NUMBER_RE = re.compile(r"\d{3,}")

# Toneless Mandarin syllables as pypinyin's Style.NORMAL spells them (ü as v), taken from its character
# dictionary (tests/nlu/test_nlu_zh.py checks they agree), plus the lue/nue spellings some IMEs accept.
# A literal set, because deriving it from pypinyin's 40k-entry dictionary takes half a second.
_SYLLABLE_TABLE = """
    a ai an ang ao ba bai ban bang bao bei ben beng bi bian biang biao bie bin bing bo bong bu ca cai can cang
    cao ce cei cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui
    chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei den deng di dia dian diao die din ding
    diu dong dou du duan dui dun duo e ei en eng er fa fan fang fei fen feng fiao fo fou fu ga gai gan gang gao
    ge gei gen geng gong gou gu gua guai guan guang gui gun guo ha hai han hang hao he hei hen heng hong hou hu
    hua huai huan huang hui hun huo ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang
    kao ke kei ken keng kong kou ku kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei len leng li lia
    lian liang liao lie lin ling liu lo long lou lu luan lun luo lv lve ma mai man mang mao me mei men meng mi
    mian miao mie min ming miu mo mou mu na nai nan nang nao ne nei nen neng ni nia nian niang niao nie nin ning
    niu nong nou nu nuan nun nuo nv nve o ou pa pai pan pang pao pei pen peng pi pian piao pie pin ping po pou
    pu qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun ran rang rao re ren reng ri rong rou ru rua
    ruan rui run ruo sa sai san sang sao se sen seng sha shai shan shang shao she shei shen sheng shi shou shu
    shua shuai shuan shuang shui shun shuo si song sou su suan sui sun suo ta tai tan tang tao te tei teng ti
    tian tiao tie ting tong tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo wong wu xi xia xian xiang
    xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye yi yin ying yo yong you yu yuan yue yun za
    zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua zhuai
    zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo lue nue
"""
PINYIN_SYLLABLES = frozenset(_SYLLABLE_TABLE.split())
_MAX_SYLLABLE = max(map(len, PINYIN_SYLLABLES))

JIEBA_DICT = Path(__file__).with_name("jieba_dict.txt")

_load_lock = threading.Lock()
_loaded: dict[str, Any] = {}


def _once(name: str, loader: Callable[[], Any]) -> Any:
    """`loader()` run once per process even when two threads ask at the same time (loads take 0.1 s)."""
    value = _loaded.get(name)
    if value is None:
        with _load_lock:
            value = _loaded.get(name)
            if value is None:
                value = _loaded[name] = loader()
    return value


def _load_jieba() -> Any:
    import jieba

    # jieba logs "Building prefix dict ..." at DEBUG to stderr on its own handler.
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer(str(JIEBA_DICT))
    tokenizer.initialize()
    return tokenizer


def _load_pypinyin() -> Any:
    # Without pypinyin's phrase dictionary the process stays ~45 MB smaller. Readings are then per
    # character, which is all a feature needs: the same character always maps to the same syllable.
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
    import pypinyin

    return pypinyin


def _segment(run: str) -> list[str]:
    words: list[str] = _once("jieba", _load_jieba).lcut(run)
    return words


@cache
def _char_pinyin(char: str) -> str:
    # Memoised per character: lazy_pinyin costs ~5 us a character, a dict hit well under 1 us.
    pypinyin = _once("pypinyin", _load_pypinyin)
    syllables = pypinyin.lazy_pinyin(char, style=pypinyin.Style.NORMAL, errors="ignore")
    return str(syllables[0]).replace("v", "u") if syllables else ""


def _pinyin(run: str) -> list[str]:
    """Toneless pinyin of each character of a CJK run (ü written as u, as most IMEs accept)."""
    return [s for s in map(_char_pinyin, run) if s]


def warm_up() -> None:
    """Load the Chinese segmenter, pinyin and t2s tables now instead of on the first Chinese message."""
    chinese_script.load()
    _once("jieba", _load_jieba)
    _once("pypinyin", _load_pypinyin)


def detect_language(text: str) -> str:
    """'zh' when the text contains any CJK ideograph, else 'en'."""
    return "zh" if _CJK_RE.search(text) else "en"


def normalize(text: str) -> str:
    # NFKC folds full-width Latin letters and digits that Chinese keyboards often produce.
    folded = unicodedata.normalize("NFKC", text).lower().replace("'", "").replace("’", "")
    if _CJK_RE.search(folded):
        folded = chinese_script.to_simplified(folded)
    return _LONG_NUMBER_RE.sub("000", folded)


def split_pinyin(word: str) -> list[str] | None:
    """Syllables of a run of toneless pinyin ("dingdan" -> ding, dan), or None if it is not pinyin.

    Prefers the split with fewest syllables, then the longest first syllable ("xian", not "xi an").
    """
    n = len(word)
    best: list[list[str] | None] = [None] * (n + 1)
    best[n] = []
    for i in range(n - 1, -1, -1):
        for j in range(min(n, i + _MAX_SYLLABLE), i, -1):
            rest = best[j]
            if rest is not None and word[i:j] in PINYIN_SYLLABLES:
                candidate = [word[i:j], *rest]
                current = best[i]
                if current is None or len(candidate) < len(current):
                    best[i] = candidate
    return best[0]


def _pinyin_message(words: Sequence[str]) -> list[str] | None:
    """Syllables of a Latin-only message that reads as pinyin throughout, else None.

    All-or-nothing, so English sharing a few spellings with pinyin ("can you ...") stays English.
    """
    syllables: list[str] = []
    for word in words:
        if word.isdigit():
            continue
        if not word.isalpha():
            return None
        split = split_pinyin(word)
        if split is None:
            return None
        syllables.extend(s.replace("v", "u") for s in split)
    return syllables or None


def _ngrams(prefix: str, items: Sequence[str], lo: int, hi: int, sep: str = "") -> Iterable[str]:
    for n in range(lo, hi + 1):
        for i in range(len(items) - n + 1):
            yield prefix + sep.join(items[i : i + n])


def analyze(text: str) -> list[str]:
    """Feature tokens for one message (module-level so a fitted vectorizer stays picklable)."""
    norm = normalize(text)
    feats: list[str] = []
    lo, hi = CJK_CHAR_NGRAMS
    runs = _CJK_RUN_RE.findall(norm)
    for run in runs:
        for n in range(lo, hi + 1):
            feats.extend("z" + run[i : i + n] for i in range(len(run) - n + 1))
        feats.extend(_ngrams("j", _segment(run), 1, 2, " "))
        feats.extend(_ngrams("p", _pinyin(run), 1, 2, " "))
    words = _WORD_RE.findall(_CJK_RUN_RE.sub(" ", norm))
    lo, hi = LATIN_CHAR_NGRAMS
    for word in words:
        padded = f" {word} "
        for n in range(lo, hi + 1):
            feats.extend("c" + padded[i : i + n] for i in range(len(padded) - n + 1))
    feats.extend(_ngrams("w", words, 1, WORD_NGRAMS, " "))
    if not runs and words:
        syllables = _pinyin_message(words)
        if syllables:
            feats.extend(_ngrams("p", syllables, 1, 2, " "))
    return feats
