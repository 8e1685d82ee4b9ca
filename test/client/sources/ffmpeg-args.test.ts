import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cameraInput, ffmpegArgs, fileInput } from '../../../client/sources/ffmpeg-args.js';
import { resolveFfmpegPath } from '../../../client/sources/ffmpeg-binary.js';
import { FfmpegLog } from '../../../client/sources/ffmpeg-log.js';

test('a camera and a file differ only in their input arguments', () => {
  const output = { encoding: 'jpeg', resize: { width: 320, height: 0 } } as const;
  const camera = ffmpegArgs(cameraInput('/dev/video0'), output);
  const file = ffmpegArgs(fileInput('clip.mp4'), output);
  const common = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info'];
  const tail = ['-map', '0:v:0', '-an', '-sn', '-vf', 'scale=320:-2', '-f', 'image2pipe', '-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', '3', 'pipe:1'];
  assert.deepEqual(camera, [...common, '-f', 'v4l2', '-i', '/dev/video0', ...tail]);
  assert.deepEqual(file, [...common, '-i', 'clip.mp4', ...tail]);
  assert.deepEqual(ffmpegArgs(cameraInput('0', 'avfoundation'), { encoding: 'raw' }).slice(5, 9), ['-f', 'avfoundation', '-i', '0']);
  assert.deepEqual(ffmpegArgs(fileInput('x.mkv'), { encoding: 'raw', resize: { width: 64, height: 48 } }).slice(-8), ['-sn', '-vf', 'scale=64:48', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
});

test('ffmpeg comes from FFMPEG_PATH, else the installer package', () => {
  assert.equal(resolveFfmpegPath({ FFMPEG_PATH: '/opt/ffmpeg' }), '/opt/ffmpeg');
  assert.match(resolveFfmpegPath({}), /ffmpeg$/);
});

test('the log gives the input rate, the output size, and a one-line tail', () => {
  const seen: unknown[] = [];
  const log = new FfmpegLog((info) => seen.push(info));
  const stderr = [
    "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'clip.mp4':",
    '  Duration: 00:00:02.00, start: 0.000000, bitrate: 43 kb/s',
    '    Stream #0:0(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 320x240 [SAR 1:1 DAR 4:3], 39 kb/s, 29.97 fps, 29.97 tbr, 10240 tbn (default)',
    'Stream mapping:',
    '  Stream #0:0 -> #0:0 (h264 (native) -> rawvideo (native))',
    '[swscaler @ 0x3290c300] deprecated pixel format used, make sure you did set range correctly',
    "Output #0, rawvideo, to 'pipe:1':",
    '    Stream #0:0(und): Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc), 160x120 [SAR 1:1 DAR 4:3], q=2-31, 13824 kb/s, 29.97 fps, 29.97 tbn (default)',
    '[h264 @ 0x1234abcd] error while decoding MB 3 4',
    'clip.mp4: Invalid data found when processing input',
    '',
  ].join('\n');
  // Fed in awkward pieces, as a pipe delivers it.
  for (let i = 0; i < stderr.length; i += 37) log.push(stderr.slice(i, i + 37));
  assert.deepEqual(seen, [{ fps: 29.97, width: 160, height: 120 }]);
  assert.equal(log.tail(), 'h264: error while decoding MB 3 4 | clip.mp4: Invalid data found when processing input');
});
