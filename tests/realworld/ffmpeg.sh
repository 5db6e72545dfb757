#!/usr/bin/env bash
# ffmpeg.sh: ffmpeg encodes 100 generated frames (lavfi testsrc, 320x240)
# with libx264 in 4 frame threads, with libx264 in 4 slice threads
# (sliced-threads) and with mpeg2video in 4 slice threads, then decodes each
# with frame or slice threads to per-frame MD5s.  The streams (x264 is
# deterministic for a given thread count) and the MD5s equal the plain run's.
name=ffmpeg
. "$(dirname "$0")/lib.sh"
rw_need ffmpeg
ff=(ffmpeg -nostdin -hide_banner -loglevel error -y)
src=(-f lavfi -i testsrc=size=320x240:rate=25 -frames:v 100)

body() {
	rw "${ff[@]}" "${src[@]}" -c:v libx264 -preset veryfast -threads 4 \
		-x264-params threads=4 -f h264 "$1/frame.h264"
	rw "${ff[@]}" "${src[@]}" -c:v libx264 -preset veryfast -threads 4 \
		-x264-params threads=4:sliced-threads=1 -f h264 "$1/slice.h264"
	rw "${ff[@]}" "${src[@]}" -c:v mpeg2video -threads 4 -thread_type slice -slices 4 \
		-b:v 2M -flags +bitexact -f mpeg2video "$1/slice.m2v"
	rw "${ff[@]}" -threads 4 -thread_type frame -i "$1/frame.h264" -f framemd5 "$1/frame.md5"
	rw "${ff[@]}" -threads 4 -thread_type slice -i "$1/slice.h264" -f framemd5 "$1/slice.md5"
	rw "${ff[@]}" -threads 4 -thread_type slice -i "$1/slice.m2v" -f framemd5 "$1/m2v.md5"
	echo "ffmpeg: $(grep -vc '^#' "$1/frame.md5") + $(grep -vc '^#' "$1/slice.md5") + $(grep -vc '^#' "$1/m2v.md5") frames decoded"
}
rw_modes body frame.h264 slice.h264 slice.m2v frame.md5 slice.md5 m2v.md5
