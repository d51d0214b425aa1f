#!/bin/sh
# Regenerates the default prompts and music on hold under ipbx/media/prompts/. The WAVs are
# committed: this script is only needed to change a text or add a prompt or a language.
#
# Output: 8 kHz mono 16-bit PCM WAV (canonical 44-byte header), what rtpengine's play media and
# phones' G.711 handle without resampling surprises.
#   ipbx/media/prompts/<lang>/<id>.wav   espeak-ng voice <lang>, trimmed, normalised to -3 dBFS
#   ipbx/media/prompts/music-on-hold.wav a 20 s melody of pure sine notes (see below)
#
# Reproducible: the same espeak-ng and sox versions give byte-identical files (dither is off, no
# random input). Made with espeak-ng 1.51 and SoX 14.4.2 (Debian 12); other versions may differ by
# a few samples, which is harmless.
#
# Music on hold recipe (tests rely on it, see MUSIC_ON_HOLD_NOTES_HZ in prompt-set.ts): 40 notes
# of 0.5 s, each a pure sine at one of A4 440 Hz, C5 523.25 Hz, D5 587.33 Hz, E5 659.26 Hz, with a
# 30 ms fade-in and 80 ms fade-out, peak 0.35 (-9 dBFS). Every 50 ms window not on a note boundary
# is dominated by one of those four frequencies; nothing else is in the file.
#
# Usage: scripts/gen-prompts.sh   (from anywhere; needs espeak-ng and sox)

set -eu

cd "$(dirname "$0")/.."
OUT=ipbx/media/prompts
for tool in espeak-ng sox; do
  command -v "$tool" >/dev/null 2>&1 || { echo "gen-prompts: $tool is not installed (apt-get install $tool)" >&2; exit 1; }
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM

# Speaks $3 with voice $1 into $OUT/$1/$2.wav.
say() {
  lang=$1 id=$2 text=$3
  mkdir -p "$OUT/$lang"
  # -b 1: the text is UTF-8 (French accents).
  espeak-ng -b 1 -v "$lang" -w "$WORK/raw.wav" "$text"
  # Trim the synthesiser's leading and trailing silence, keep a short breath around the words,
  # normalise, then 8 kHz mono 16-bit without dither (-D) so the output is deterministic.
  sox -D "$WORK/raw.wav" -r 8000 -c 1 -b 16 "$OUT/$lang/$id.wav" \
    silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse pad 0.1 0.15 gain -n -3
}

say en welcome 'Hello, and welcome.'
say en please-hold 'Please hold, your call is important to us.'
say en unavailable 'The person you are calling is not available.'
say en busy 'The line is busy. Please try again later.'
say en invalid-number 'The number you have dialed is not valid.'
say en goodbye 'Goodbye.'
say en queue-position 'You are caller number'
say en queue-wait 'Your estimated wait time is'
say en queue-full 'All our agents are busy and the queue is full. Please call again later.'
say en recording-notice 'This call may be recorded.'
say en minutes 'minutes'
say en seconds 'seconds'
say en agent-logged-in 'Agent logged in.'
say en agent-logged-out 'Agent logged out.'
say en agent-paused 'Agent paused.'
say en agent-unpaused 'Agent available.'
n=0
for word in zero one two three four five six seven eight nine; do
  say en "digit-$n" "$word"
  n=$((n + 1))
done

say fr welcome 'Bonjour, et bienvenue.'
say fr please-hold 'Veuillez patienter, votre appel est important pour nous.'
say fr unavailable "Votre correspondant n'est pas disponible."
say fr busy 'La ligne est occupée. Veuillez rappeler plus tard.'
say fr invalid-number "Le numéro que vous avez composé n'est pas valide."
say fr goodbye 'Au revoir.'
say fr queue-position "Vous êtes l'appelant numéro"
say fr queue-wait "Votre temps d'attente estimé est de"
say fr agent-logged-in 'Agent connecté.'
say fr agent-logged-out 'Agent déconnecté.'
say fr agent-paused 'Agent en pause.'
say fr agent-unpaused 'Agent disponible.'
say fr queue-full "Tous nos conseillers sont occupés et la file d'attente est pleine. Veuillez rappeler plus tard."
say fr recording-notice 'Cet appel peut être enregistré.'
say fr minutes 'minutes'
say fr seconds 'secondes'
n=0
for word in zéro un deux trois quatre cinq six sept huit neuf; do
  say fr "digit-$n" "$word"
  n=$((n + 1))
done

# Music on hold: one file per note, then the melody as their concatenation (5 phrases of 8).
note() {
  sox -D -n -r 8000 -c 1 -b 16 "$WORK/$1.wav" synth 0.5 sine "$2" fade q 0.03 0.5 0.08 vol 0.35
}
note A 440
note C 523.25
note D 587.33
note E 659.26
MELODY='A C E C D E D C  A C E D C A C A  E D C D E E E C  D D E D C A C A  A C E C D C A A'
set --
for name in $MELODY; do set -- "$@" "$WORK/$name.wav"; done
sox -D "$@" "$OUT/music-on-hold.wav"

echo "gen-prompts: wrote $(find "$OUT" -name '*.wav' | wc -l) files, $(du -ch $(find "$OUT" -name '*.wav') | tail -1 | cut -f1) in $OUT"
