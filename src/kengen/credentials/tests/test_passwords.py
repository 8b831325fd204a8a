"""A8.6: passwords others cannot easily guess — length, blocklist, context words, NFKC, no truncation."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kengen.core.exceptions import RuleViolation
from kengen.credentials.passwords import (
    ALPHABET,
    Context,
    check_strength,
    generate_password,
    generate_temporary,
    hash_password,
    kana_to_romaji,
    open_temporary,
    romaji_variants,
    seal_temporary,
    verify_password,
)
from kengen.credentials.selectors import context_for
from kengen.credentials.tests.helpers import STRONG, personal_account

pytestmark = pytest.mark.clause("A8.6")


def _refused(password, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as exc:
        check_strength(password, **kwargs)
    assert exc.value.clause == "A8.6"
    assert password not in exc.value.message  # the reason never repeats the password
    return exc.value


def test_a_passphrase_is_accepted():
    check_strength(STRONG)
    check_strength("correct horse battery staple 42")


def test_short_passwords_are_refused_with_the_reason():
    err = _refused("Tr0ub4dor&3")
    assert "at least 12" in err.message and "11" in err.message


def test_minimum_length_follows_the_policy():
    check_strength("Xq7-pLm2-vB9k", min_length=12)
    _refused("Xq7-pLm2-vB9k", min_length=14)


@pytest.mark.parametrize(
    "password",
    [
        "password1234",  # Django's list, padded with digits
        "Password2024!!",
        "qwertyuiop@12",
        "P@ssw0rd12345",  # leetspeak
        "kitamishi2024",  # the Japanese list shipped with Kengen
        "iloveyou123456",
    ],
)
def test_common_passwords_are_refused(password):
    assert "commonly used" in _refused(password).message


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaaaaa",
        "pass1234pass1234",
        "abcdefghijklmn",
        "123456789012345",
        "abcabcabcabcabc",
        "zyxwvutsrqponm",
    ],
)
def test_repeated_or_sequential_runs_are_refused(password):
    _refused(password)


def test_at_least_64_characters_are_accepted_and_200_too():
    phrase = "長い合言葉も使えます correct horse battery staple and a few more words besides"
    assert len(phrase) > 64
    check_strength(phrase)
    long = "".join(generate_password(16) for _ in range(11))[:200]
    assert len(long) == 200
    check_strength(long)


def test_no_truncation_every_character_counts():
    base = "an unusually long passphrase that goes well past seventy-two bytes of bcrypt " * 2
    verifier = hash_password(base + "A")
    assert verify_password(base + "A", verifier)
    assert not verify_password(base + "B", verifier)


def test_full_width_and_half_width_are_the_same_password():
    verifier = hash_password("ＫｅｎｇｅｎＴｅｓｔ　ｐｈｒａｓｅ１２３")
    assert verify_password("KengenTest phrase123", verifier)


def test_nfkc_normalisation_applies_to_the_blocklist():
    _refused("ｐａｓｓｗｏｒｄ１２３４")  # full-width "password1234"


def test_composition_rules_are_off_by_default_and_optional():
    check_strength("only lower case words here")
    err = _refused("only lower case words here", min_character_classes=3)
    assert "mix at least 3" in err.message
    check_strength("Mixed Case words 42 here", min_character_classes=3)


def test_control_characters_and_blank_passwords_are_refused():
    _refused("               ")
    _refused("tab\tinside a long phrase")


@pytest.mark.parametrize(
    "kana,romaji",
    [
        ("サトウ", "satou"),
        ("タナカ", "tanaka"),
        ("ジュンコ", "junko"),
        ("キョウコ", "kyouko"),
        ("ハッタ", "hatta"),
        ("イッチ", "itchi"),
        ("チヅル", "chizuru"),
        ("ユーコ", "yuuko"),
        ("しんいち", "shinichi"),
    ],
)
def test_kana_to_romaji(kana, romaji):
    assert kana_to_romaji(kana) == romaji


def test_romaji_variants_cover_common_spellings():
    assert {"satou", "sato", "satoh"} <= romaji_variants("サトウ")
    assert "tanaka" in romaji_variants("タナカ")
    assert "tukasa" in romaji_variants("ツカサ")  # Kunrei


def test_context_words_are_refused(world):
    system = world.system("HR", "人事給与システム", owner=world.shokuin)
    account = personal_account(world, system, "jinji_clerk", "T900123")
    context = context_for(account)  # 田中 花子, read ヤマダ タロウn by the world builder
    for password in [
        "my id is T900123 okay",  # the user ID
        "田中の秘密のパスワードです",  # family name in kanji
        "花子さんのひみつのぱすわーど",  # given name in kanji
        "やまだのひみつのぱすわーど",  # the reading in hiragana
        "ヤマダノヒミツノパスワード",  # in katakana
        "yamada loves long walks",  # in romaji
        "Yamada-2024-springtime",
        "北見市役所で働いています",  # the city
        "kitami onion festival 2024",  # the city in romaji (from the root unit's kana キタミシ)
        "人事給与システムのパスワード",  # the system
    ]:
        err = _refused(password, context=context)
        assert "user ID" in err.message


def test_unrelated_passphrase_passes_the_context(world):
    system = world.system("HR", "人事給与システム", owner=world.shokuin)
    account = personal_account(world, system, "jinji_clerk", "T900123")
    check_strength(STRONG, context=context_for(account))


def test_short_context_fragments_do_not_cause_false_refusals():
    context = Context.of(["ito", "伊藤", "イトウ", "itou"])
    check_strength("my favorite copper kettle", context=context)  # contains "ito" inside "favorite"


def test_generated_passwords_use_the_unambiguous_alphabet():
    value = generate_password()
    chars = value.replace("-", "")
    assert len(chars) == 16 and set(chars) <= set(ALPHABET)
    assert len({generate_password() for _ in range(50)}) == 50


def test_a_sealed_temporary_password_opens_only_with_its_token_and_the_server_key(settings):
    """Issue 10: the token (in the notification) together with the server key is not enough —
    the sealed copy is needed too, and it is erased once the link is used."""
    sealed = seal_temporary("Xk7m-Pq2R-abcd-EFGH", "token-a")
    assert "Xk7m" not in sealed
    assert open_temporary(sealed, "token-a") == "Xk7m-Pq2R-abcd-EFGH"
    with pytest.raises(ValueError):
        open_temporary(sealed, "token-b")
    settings.SECRET_KEY = "another deployment"
    with pytest.raises(ValueError):  # the server key is one half
        open_temporary(sealed, "token-a")
    assert generate_temporary() != generate_temporary()  # random, not derived from anything


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=12, max_size=80))
def test_a_refusal_never_repeats_the_password(password):
    try:
        check_strength(password)
    except RuleViolation as exc:
        assert password not in exc.message or len(password.strip()) == 0
