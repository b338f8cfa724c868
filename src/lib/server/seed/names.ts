// Fictional names, place names and phone numbers. Nothing here is a real person.
import type { Rng } from './random.ts';

// The most common Chinese surnames, weighted roughly by frequency (王李张刘陈 cover about a third).
const SURNAMES: [string, number][] = [
	['王', 72],
	['李', 71],
	['张', 67],
	['刘', 54],
	['陈', 46],
	['杨', 33],
	['黄', 25],
	['赵', 20],
	['吴', 20],
	['周', 19],
	['徐', 15],
	['孙', 15],
	['马', 12],
	['朱', 11],
	['胡', 11],
	['郭', 11],
	['何', 10],
	['林', 9],
	['罗', 9],
	['高', 9],
	['郑', 8],
	['梁', 8],
	['谢', 7],
	['宋', 6],
	['唐', 6],
	['许', 6],
	['韩', 6],
	['冯', 6],
	['邓', 6],
	['曹', 5],
	['彭', 5],
	['曾', 5],
	['肖', 5],
	['田', 5],
	['董', 5],
	['袁', 5],
	['潘', 4],
	['于', 4],
	['蒋', 4],
	['蔡', 4],
	['余', 4],
	['杜', 4],
	['叶', 4],
	['程', 4],
	['苏', 3],
	['魏', 3],
	['吕', 3],
	['丁', 3],
	['任', 3],
	['沈', 3],
	['姚', 3],
	['卢', 3],
	['姜', 3],
	['崔', 3],
	['钟', 3],
	['谭', 3],
	['陆', 2],
	['汪', 2],
	['范', 2],
	['金', 2],
	['石', 2],
	['廖', 2],
	['贾', 2],
	['夏', 2],
	['韦', 2],
	['付', 2],
	['方', 2],
	['白', 2],
	['邹', 2],
	['孟', 2],
	['熊', 2],
	['秦', 2],
	['邱', 2],
	['江', 2],
	['尹', 2],
	['薛', 2],
	['闫', 2],
	['段', 2],
	['雷', 2],
	['侯', 2],
	['龙', 2],
	['史', 2],
	['黎', 2],
	['贺', 2],
	['顾', 2],
	['毛', 2],
	['郝', 2],
	['龚', 2],
	['邵', 2],
	['万', 2],
	['覃', 1],
	['武', 1],
	['欧阳', 1],
	['司马', 1],
	['上官', 1]
];
const SURNAME_WEIGHTS = SURNAMES.map((s) => s[1]);

const GIVEN_MALE = [...'伟强磊军勇杰涛斌超明辉刚平鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林亮成建国志文斌峰晨阳博毅振海洋东兴德胜'];
const GIVEN_FEMALE = [...'芳娜敏静丽艳娟霞燕玲桂英秀兰萍红琳颖慧莉晶婷雪琴云倩洁梅佳欣怡悦璐瑶丹蓉月凤珍华琪'];
const GIVEN_ANY = [...'子思雨嘉一文明晓春秋天心安家宏永小新金玉'];

export function personName(rng: Rng, gender: 'male' | 'female'): string {
	const surname = SURNAMES[rng.weighted(SURNAME_WEIGHTS)][0];
	const pool = gender === 'male' ? GIVEN_MALE : GIVEN_FEMALE;
	if (rng.chance(0.3)) return surname + rng.pick(pool); // 单名
	return surname + (rng.chance(0.35) ? rng.pick(GIVEN_ANY) : rng.pick(pool)) + rng.pick(pool);
}

/**
 * A phone number that cannot belong to anyone: Chinese mobile numbers are 11 digits starting
 * 13–19 (carriers' 1xx segments), and fixed lines are written with a 0 area code. No carrier
 * issues the 100 prefix (100xx numbers are short service codes, never 11-digit subscriber
 * numbers), so `100` + 8 random digits is safe to print on a demo screen.
 */
export const FAKE_PHONE_PREFIX = '100';
export const FAKE_PHONE_PATTERN = /^100[0-9]{8}$/;
export function fakePhone(rng: Rng): string {
	return FAKE_PHONE_PREFIX + String(rng.int(0, 99_999_999)).padStart(8, '0');
}

// Two-character place words: Wuhan/Hanyang-like for the default district, Beijing-like for Chaoyang.
// Street (街道), community (社区), village (村), road (路/大道/街) and compound (小区) names are built from them.
const PLACE_HANYANG = [
	'鹦鹉',
	'晴川',
	'琴台',
	'江堤',
	'永丰',
	'龟山',
	'月湖',
	'墨水',
	'四新',
	'建桥',
	'五里',
	'洲头',
	'翠微',
	'归元',
	'钟家',
	'芳草',
	'知音',
	'莲花',
	'江汉',
	'建港',
	'龙阳',
	'黄金',
	'锦绣',
	'新华',
	'桃花',
	'梅子',
	'南岸',
	'北城',
	'东风',
	'民意',
	'和平',
	'振兴',
	'太白',
	'十里',
	'腰路',
	'徐家',
	'彭家',
	'赵家',
	'郭茨',
	'三里',
	'七里',
	'汉江',
	'鹤鸣',
	'伯牙',
	'古琴',
	'江欣',
	'马沧',
	'琴断',
	'玉龙',
	'红光',
	'拦江',
	'杨泗',
	'江城',
	'沌口',
	'黄陵',
	'大军'
];
const PLACE_CHAOYANG = [
	'望京',
	'酒仙',
	'麦子',
	'团结',
	'安贞',
	'亚运',
	'奥运',
	'小关',
	'呼家',
	'六里',
	'八里',
	'双井',
	'劲松',
	'潘家',
	'垡头',
	'高碑',
	'豆各',
	'南磨',
	'平房',
	'东坝',
	'金盏',
	'孙河',
	'崔各',
	'来广',
	'常营',
	'管庄',
	'十八',
	'朝外',
	'建外',
	'呼家',
	'三里',
	'左家',
	'香河',
	'大屯',
	'将台',
	'首都',
	'黑庄',
	'王四',
	'太阳',
	'甜水',
	'红庙',
	'光华'
];
const PLACE_FIRST = [...'东西南北新老长青红白金银丰永兴盛和平安康富民华桂兰梅竹松柏玉龙凤鹤翠锦绣春秋阳明清'];
const PLACE_SECOND = [...'湖山川江河桥园林苑庄湾港塘坊岭坡洲堤台亭门街里村营屯店沟口镇城岗'];

export class PlaceNames {
	#rng: Rng;
	#base: string[];
	#next = 0;
	#used = new Set<string>();
	constructor(rng: Rng, flavour: 'hanyang' | 'chaoyang') {
		this.#rng = rng;
		this.#base = rng.shuffle([...(flavour === 'chaoyang' ? PLACE_CHAOYANG : PLACE_HANYANG)]);
	}
	/** a place word not used before by this namer, plus the suffix (街道, 社区, 路, 花园 …) */
	next(suffix: string): string {
		while (this.#next < this.#base.length) {
			const w = this.#base[this.#next++];
			if (!this.#used.has(w)) {
				this.#used.add(w);
				return w + suffix;
			}
		}
		for (let i = 0; i < 200; i++) {
			const w = this.#rng.pick(PLACE_FIRST) + this.#rng.pick(PLACE_SECOND);
			if (!this.#used.has(w)) {
				this.#used.add(w);
				return w + suffix;
			}
		}
		for (;;) {
			const w = this.#rng.pick(PLACE_FIRST) + this.#rng.pick(PLACE_FIRST) + this.#rng.pick(PLACE_SECOND);
			if (!this.#used.has(w)) {
				this.#used.add(w);
				return w + suffix;
			}
		}
	}
}

export const COMPOUND_SUFFIXES = ['小区', '花园', '家园', '苑', '新城', '华府', '公馆', '雅居', '佳园', '名都'];
export const OLD_ESTATE_SUFFIXES = ['小区', '宿舍', '新村', '里', '坊'];
export const OFFICE_SUFFIXES = ['大厦', '中心', '国际广场', '金融中心', '商务楼', '写字楼', '科技大厦'];
export const PARK_SUFFIXES = ['科技园', '产业园', '创意园', '工业园', '智造园'];
export const MARKET_SUFFIXES = ['商场', '市场', '购物中心', '商业街', '农贸市场'];
export const SCHOOL_SUFFIXES = ['小学', '中学', '实验小学', '初级中学', '幼儿园'];
export const GREEN_SUFFIXES = ['公园', '绿地', '游园'];
export const PUBLIC_NAMES = ['卫生服务中心', '医院', '文化活动中心', '养老服务中心', '派出所', '体育馆', '图书馆'];
