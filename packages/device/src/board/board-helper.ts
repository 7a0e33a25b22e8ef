import { CairnError } from '@cairn/core';

/**
 * The Python cairn installs on the board once per session (about 2.5 KB on the wire), so
 * each later command is a short call such as `_cS('/main.py')`. Names start with `_c`
 * and are removed again by `_cE()` when the session ends.
 *
 * Output lines: stat `mode size mtime ctime ino` (ctime `=` when it is the mtime); listing
 * `>`folder, then `stat name`, or `stat sha256 name` when asked for digests (base64, or hex
 * without binascii; `-` for a folder), `- errno 0 0 0 name` for an entry os.stat refused;
 * names are `=`text, or `%`hex when
 * they hold a line break. Data lines: `B`base64 or `H`hex, `Z`/`Y` the same of raw deflate
 * (window 2^10), `R`repr of bytes (text, or a board without binascii); a read ends with
 * `.`stat. The board sends hex instead of base64 when its b2a_base64 is much slower than
 * hexlify (`_cF`, timing 2 KB of each: the WebAssembly port's b2a_base64 takes 6-15 ms
 * for 1 KB where hexlify takes under 1 ms; a microcontroller's does 2 KB in well under 1 ms).
 */
export const BOARD_HELPER = String.raw`import os,sys,time
try:
 import binascii as _ca
except ImportError:
 _ca=None
try:
 import hashlib as _ch
 _ch.sha256
except Exception:
 _ch=None
try:
 import deflate as _cd,io as _ci
except ImportError:
 _cd=None
_co=getattr(sys.stdout,'buffer',sys.stdout)
_cZ=_cU=0
def _cz(b):
 z=_ci.BytesIO();d=_cd.DeflateIO(z,_cd.RAW,10);d.write(b);d.close();return z.getvalue()
def _cu(b):
 return _cd.DeflateIO(_ci.BytesIO(b),_cd.RAW,10).read()
if _cd and _ca:
 try:_cU=_cu(b'\x03\x00')==b''
 except Exception:pass
 try:_cZ=_cu(_cz(b'cairn'))==b'cairn'
 except Exception:pass
def _cq(n):
 if '\n' in n or '\r' in n:return '%'+''.join('%02x'%c for c in n.encode())
 return '='+n
def _cf5(s):return '%d %d %d %s %d'%(s[0],s[6],s[8],'=' if s[9]==s[8] else s[9],s[1])
def _cs(p):return _cf5(os.stat(p))
def _cS(p):print(_cs(p))
def _cL(p,r,h):
 print('>'+_cq(p))
 q='' if p=='/' else p
 d=[]
 for e in os.ilistdir(p):
  n=e[0];c=q+'/'+n
  try:
   s=os.stat(c);x=''
   if h:x=' '+(_cd64(_cg(c)) if s[0]&0x8000 else '-')
   print(_cf5(s)+x,_cq(n))
   if r and s[0]&0x4000:d.append(c)
  except OSError as x:print('- %d 0 0 0'%x.args[0]+(' -' if h else ''),_cq(n))
 for c in d:_cL(c,r,h)
def _cd64(b):
 if _ca:return _ca.b2a_base64(b)[:-1].decode()
 return ''.join('%02x'%c for c in b)
def _cF():
 try:
  x=bytes(range(256))*8;u=time.ticks_us;d=time.ticks_diff;a=h=1<<30
  for i in range(2):
   t=u();_ca.b2a_base64(x);a=min(a,d(u(),t))
   t=u();_ca.hexlify(x);h=min(h,d(u(),t))
  return int(a<4*h+2500)
 except Exception:return 1
_cb=_ca and _cF()
def _ce(b):
 return _ca.b2a_base64(b) if _cb else _ca.hexlify(b)+b'\n'
def _cl(k,b):_co.write(k);_co.write(b)
def _ct(b):
 for c in b[:64]:
  if c<9 or 13<c<32 or c>126:return 0
 return 1
def _cx(b,z):
 if z>0:
  c=_cz(b)
  if len(c)*8<len(b)*7:_cl(b'Z' if _cb else b'Y',_ce(c));return z
  z-=1
 if _ca:
  if _ct(b):
   r=repr(b)
   if len(r)*3<len(b)*(4 if _cb else 6):_cl(b'R',r.encode()+b'\n');return z
  _cl(b'B' if _cb else b'H',_ce(b))
 else:_cl(b'R',repr(b).encode()+b'\n')
 return z
def _cR(p,n,z):
 f=open(p,'rb')
 try:
  while 1:
   b=f.read(n)
   if not b:break
   z=_cx(b,z)
 finally:f.close()
 print('.'+_cs(p))
def _cg(p):
 h=_ch.sha256();f=open(p,'rb');b=bytearray(1024);m=memoryview(b)
 try:
  while 1:
   k=f.readinto(b)
   if not k:break
   h.update(m[:k])
 finally:f.close()
 return h.digest()
def _cH(p):_cx(_cg(p),0)
def _cO(p):
 global _cf
 _cf=open(p,'wb')
def _cW(b):_cf.write(_ca.a2b_base64(b))
def _cV(b):_cf.write(_cu(_ca.a2b_base64(b)))
def _cY(b):_cf.write(b)
def _cC(t,p,n,x):
 _cf.close()
 s=os.stat(t)[6]
 if s!=n:raise ValueError('cairn-verify: %d bytes written, %d sent'%(s,n))
 if x and _ch and _ca and _ca.hexlify(_cg(t))!=x:raise ValueError('cairn-verify: its sha256 differs from the data sent')
 os.rename(t,p)
def _cA(t):
 try:_cf.close()
 except Exception:pass
 try:os.remove(t)
 except OSError:pass
def _cD(p):
 if os.stat(p)[0]&0x4000:os.rmdir(p)
 else:os.remove(p)
def _cK(s,t,p):
 a=open(s,'rb')
 try:
  b=open(t,'wb')
  try:
   while 1:
    x=a.read(1024)
    if not x:break
    b.write(x)
  finally:b.close()
 finally:a.close()
 os.rename(t,p)
def _cE():
 g=globals()
 for k in [k for k in g if k[:2]=='_c']:del g[k]
def _cP():
 e=t=0
 try:e=time.gmtime(0)[0]
 except Exception:
  try:e=time.localtime(0)[0]
  except Exception:pass
 try:t=int(time.time())
 except Exception:pass
 u='-'
 try:
  import machine;u=''.join('%02x'%c for c in machine.unique_id())
 except Exception:pass
 print(sys.platform,e,t,int(bool(_ca)),int(bool(_ch)),int(bool(_cZ)),int(bool(_cU)),int(bool(_cb)),u)
_cP()
`;

/** What the helper found out about the board. */
export interface BoardInfo {
  /** sys.platform: 'rp2', 'esp32', 'webassembly', … */
  readonly platform: string;
  /** The year of the board's time 0: 1970 or 2000 (os.stat times are normalised to 1970). */
  readonly epochYear: number;
  /** Seconds to add to the board's times to count from 1970. */
  readonly epochOffset: number;
  /** The board's clock, normalised to 1970 (seconds; 0 when it has none). */
  readonly clock: number;
  /** True when the clock looks set (after 2022): mtimes can then show changes. */
  readonly clockSet: boolean;
  readonly hasBinascii: boolean;
  readonly hasHashlib: boolean;
  /** deflate compression on the board (backups send compressed text). */
  readonly canCompress: boolean;
  /** deflate decompression on the board (restores send compressed text). */
  readonly canDecompress: boolean;
  /** Whether the board sends file data in base64 (else hex): it picks base64 unless its encoder is much slower than hexlify. */
  readonly sendsBase64: boolean;
  /** machine.unique_id() in hex, when the board has one. */
  readonly uniqueId: string | undefined;
}

const EPOCH_2000 = 946_684_800;
const CLOCK_SET_AFTER = 1_640_995_200; // 2022-01-01
/** Ports whose time 0 is 1970 (docs: library/time.rst), for a board without time.gmtime. */
const EPOCH_1970_PORTS = new Set(['linux', 'darwin', 'win32', 'webassembly', 'rp2', 'mimxrt', 'alif']);

/** Reads the helper's probe line (`platform epoch clock binascii hashlib compress decompress base64 uid`). */
export function parseProbe(line: string, port: string): BoardInfo {
  const fields = line.trim().split(' ');
  if (fields.length !== 9) {
    throw new CairnError('ERR_IO', `the board at ${port} answered the cairn helper with ${JSON.stringify(line.slice(0, 200))} (expected 9 fields)`);
  }
  const [platform = '', epochText = '', clockText = '', ascii, hash, compress, decompress, base64, uid = '-'] = fields;
  const reported = Number(epochText);
  const epochYear = reported === 1970 || reported === 2000 ? reported : EPOCH_1970_PORTS.has(platform) ? 1970 : 2000;
  const epochOffset = epochYear === 2000 ? EPOCH_2000 : 0;
  const raw = Number(clockText);
  const clock = raw > 0 ? raw + epochOffset : 0;
  return {
    platform,
    epochYear,
    epochOffset,
    clock,
    clockSet: clock > CLOCK_SET_AFTER,
    hasBinascii: ascii === '1',
    hasHashlib: hash === '1',
    canCompress: compress === '1',
    canDecompress: decompress === '1',
    sendsBase64: base64 === '1',
    uniqueId: uid === '-' ? undefined : uid,
  };
}
