"""Build the binary (and byte-exact) files of the cmqual sample corpus.

All transcript text below is fictional and was written by the cmqual team; no real people or
institutions are described.

Creates, in ``corpora/sample/``:

* ``fe_line_manager_ashmere.docx``       paragraphs ``Name: text``
* ``ite_school_mentor_fenwick_lane.docx`` a two-column table (``Speaker`` | ``Text``)
* ``he_peer_mentor_eastwold.docx``       paragraphs opening with a bold run ``Name:``
* ``he_app_team_discussion_saltmarsh.xlsx`` columns ``Speaker``, ``Utterance``, ``Time``
* ``fe_new_lecturer_brackenford.txt``    UTF-8 with BOM and CRLF line endings

The output is deterministic: document properties are fixed to 2024-01-01 and every zip entry gets
a fixed timestamp, so running the script twice gives byte-identical files (for a given zlib).

Usage::

    python scripts/make_sample_binaries.py [OUTPUT_DIR]
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

import docx
import openpyxl
from docx.shared import Pt

FIXED = dt.datetime(2024, 1, 1, 0, 0, 0)
AUTHOR = "cmqual team"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "corpora" / "sample"

# ---------------------------------------------------------------------------------------------
# 1. FE line manager, Ashmere College: plain paragraphs "Name: text".
#    A line without a label continues the previous speaker's turn.
# ---------------------------------------------------------------------------------------------
ASHMERE_TITLE = "Interview transcript – curriculum manager, Ashmere College"
ASHMERE_PARAS = [
    "Interviewer: Right, we're recording. Thanks for seeing me, Paul. I gather it's enrolment week?",
    "Paul: It is, so if I disappear halfway through it's because someone's come to tell me the "
    "queue's out the door again. [laughs] We had two hundred people through yesterday. The "
    "enrolment system crashed twice before ten o'clock.",
    "Interviewer: Oh no. Well, I'll try to be quick. Can you tell me about your role?",
    "Paul: I'm curriculum manager for business, accounting and professional studies at Ashmere. "
    "I've got fourteen lecturers, a couple of them part-time, and I line manage all of them. I've "
    "been in FE about twenty years, manager for eight.",
    "Interviewer: And where does mentoring come into that?",
    "Paul: So the college has a policy, it came in about three years ago, that every new teaching "
    "member of staff has a mentor for their probation year. It's mandatory. There's a mentoring "
    "agreement, a form, you sign it in the first fortnight, and it sets out how often you meet, "
    "what the mentee's goals are, that sort of thing. And the policy says the mentor should normally "
    "be the line manager or someone the line manager nominates.",
    "In practice, in a department my size, it's usually me. Occasionally I'll ask one of the "
    "senior lecturers, but they've got no time either, so it ends up back on my desk.",
    "Interviewer: How do you find combining the two roles?",
    "Paul: [pause] Honestly? It's not ideal, and I know it's not ideal. I think I'm a decent "
    "mentor. I care about my staff. But I'm also the person who signs their probation off, who "
    "does their appraisal, who decides whether they get the evening classes nobody wants. And I "
    "do their teaching observation for the quality cycle. So I'm wearing four hats in one "
    "relationship, and they know it.",
    "Interviewer: Does that affect what people tell you?",
    "Paul: Course it does. Nobody's going to come to their manager and say, I've lost control of my "
    "Tuesday group, I don't know what I'm doing. Not in their probation year. I had a new lecturer "
    "last year, lovely lad, and I only found out in March that he'd been really struggling since "
    "October, because one of the other lecturers mentioned it to me in the corridor. He'd been "
    "going to her, informally, instead of me. Which, looking back, was the right call for him.",
    "Interviewer: How did you feel about that?",
    "Paul: A bit hurt at first, if I'm honest. [laughs] Then I thought, well, good, he found "
    "someone. She wasn't his official mentor, there was no form, she wasn't getting any time for "
    "it. But he chose her, and that was the relationship that worked.",
    "Interviewer: Tell me about the observations.",
    "Paul: So there's the developmental side, which is meant to be part of the mentoring. And then "
    "there's the quality observation, which every teacher gets once a year. Those used to be "
    "graded one to four. We dropped the grades after the last inspection, but we still have a "
    "judgement, it's \"meeting expectations\" or \"requires improvement\", and the requires "
    "improvement ones go on a support plan. The data goes up to the quality team, to the senior "
    "leadership, and it's what gets shown to Ofsted as evidence that we know our teaching.",
    "And the trouble is everyone, me included, has got so used to the quality version that the "
    "developmental ones end up looking exactly the same. Same form, same boxes. The new staff can't "
    "tell the difference, and to be fair, I'm not sure I always can either.",
    "Interviewer: Is there any time allocated to you for mentoring?",
    "Paul: None specifically. It's in my management hours, which are already more than full. The "
    "mentees are supposed to get an hour a week off timetable in their first term, and in fairness "
    "that mostly happens. But there's nothing for the mentor. When the policy came in I asked "
    "where the time was coming from and the answer, more or less, was \"existing resources\". "
    "Which means goodwill. It means evenings.",
    "Interviewer: Has anyone evaluated the mentoring policy, do you know?",
    "Paul: There was a survey in the first year. HR reported that ninety-something per cent of "
    "mentoring agreements had been completed, which I think was counted as success. Completed "
    "meaning the form was signed and uploaded. Nobody's looked at whether people are better "
    "teachers or whether they stay. And we've had a lot of people leave in their first two years, "
    "especially in accounting, because they can earn far more in practice.",
    "Interviewer: How would you describe the culture around mentoring here?",
    "Paul: Mixed. The principal talks about being a \"learning organisation\", and I think she "
    "means it. But then the message coming down from the quality team is all about compliance, "
    "deadlines, is the paperwork done. Those two things pull against each other. And middle "
    "managers like me are stuck in between.",
    "I'll give you an example. Mrs. Okonjo, our head of quality, wanted every mentor meeting "
    "logged on the HR system, with a summary. For audit purposes. And a few of us said, hang on, "
    "if everything the mentee tells me goes on a system that senior managers can read, why would "
    "they tell me anything? We got it watered down to a date and a tick. But it tells you where "
    "the priorities are.",
    "Interviewer: Who tends to become a mentor here, apart from line managers?",
    "Paul: Experienced staff, usually. Which means, if I'm honest, people who look a lot like me. "
    "Middle-aged, white, been here forever. Our new staff are much more diverse than that, and "
    "I've started wondering whether someone from a different background might feel more "
    "comfortable with a mentor who's had more of their experience. We haven't really thought about "
    "that as a college. It's never come up in any policy I've seen.",
    "Interviewer: If you could redesign it, what would you do?",
    "Paul: Separate the mentor from the line manager, full stop. Give mentors an hour a week, "
    "properly timetabled. Let new staff choose from a pool of trained volunteers. And keep "
    "mentoring completely out of the quality process. I'd still do observations as a manager, "
    "that's my job, but they'd be clearly labelled as what they are.",
    "Interviewer: That's really clear. Thank you, Paul.",
    "Paul: No problem. Right, I'd better go and see how that queue's doing. If you're heading out, "
    "use the side door by the refectory, the main entrance is chaos.",
]

# ---------------------------------------------------------------------------------------------
# 2. ITE school-based subject mentor, Fenwick Lane School: a two-column table.
# ---------------------------------------------------------------------------------------------
FENWICK_ROWS = [
    ("Interviewer", "Thanks for having me, Owen. Is it alright if we talk in here? It's quite echoey."),
    ("Owen", "It's the old music room, the acoustics are a bit much. [laughs] But it's the only "
     "room free period four. The history office has got a leak in the ceiling, there's a bucket "
     "on my desk."),
    ("Interviewer", "Oh dear. Well, this is fine. Can you start by telling me about your role?"),
    ("Owen", "I'm a history teacher at Fenwick Lane, I've been teaching for seven years, and this "
     "is my third year as a subject mentor for trainees. We take trainees from a couple of "
     "providers, the university and a SCITT, and this year I've got a PGCE trainee, Leah, who's "
     "with us from January to June."),
    ("Interviewer", "How did you become a mentor?"),
    ("Owen", "I was asked. Well, told, really. [laughs] The professional mentor, Mrs. Khan, came "
     "to find me and said the head of history was on maternity leave and I was the most "
     "experienced historian left, so it was me. I'd never done it before. I think I'd been to "
     "one twilight session on it, years earlier."),
    ("Interviewer", "Did you get training?"),
    ("Owen", "There's training from the provider, yes. It's better now, there's more of it, and "
     "there's some funding to release you for it, which there wasn't at the start. But I missed "
     "two of the sessions this year because we had no cover. The school gets money for releasing "
     "me, apparently, but on the day it doesn't help if there's literally nobody to teach my "
     "Year 9s."),
    ("Interviewer", "What about time for the mentoring itself?"),
    ("Owen", "I get one period a week off timetable. That's meant to cover the weekly meeting. "
     "But then there's the observations, the written feedback, checking her planning, the "
     "portal, the weekly targets, the progress reviews. That's a lot more than one period. So "
     "the rest of it is evenings. I don't begrudge it, Leah is great, but it does add up."),
    ("Interviewer", "Is it important to you that you're a historian mentoring a historian?"),
    ("Owen", "Massively. The generic stuff, behaviour, routines, the school can cover that, the "
     "professional mentor runs sessions. But how you teach a causation question to Year 8, how "
     "you get them to handle a source properly, how you deal with a kid who's read something "
     "online about the empire, that's subject knowledge, and it's what she needs most. Last year "
     "a friend of mine, a geographer, ended up mentoring an RE trainee, and she said she felt "
     "like a fraud the whole time."),
    ("Interviewer", "Do you make judgements about Leah's progress?"),
    ("Owen", "Yes. Every week I'm recording where she is against the curriculum, and at the end of "
     "the placement I write the report that goes to the provider, with the link tutor. They "
     "don't grade lessons anymore, which I think is right, but there's still a judgement at the "
     "end: is she on track or isn't she. So she knows I'm the one who decides, in a sense. I try "
     "hard not to let that colour the conversations. I'm not sure I always manage it."),
    ("Interviewer", "How do you try to manage it?"),
    ("Owen", "We talked about it in our first meeting. I said, look, I'm going to be honest with "
     "you about what I'm writing, there won't be any surprises, and I'd rather you tell me when "
     "a lesson's gone badly than try to hide it, because hiding it is what would actually worry "
     "me. And we agreed that some things are just between us. Like, if she's having a rough week "
     "personally, that doesn't go on the portal."),
    ("Interviewer", "Has the school been inspected while she's been here?"),
    ("Owen", "Not while she's here, but last year, yes. And the thing I noticed was how the "
     "trainee got used. Our trainee last year was teaching a Year 7 group on the day and the "
     "senior team made him teach a scripted lesson from the department scheme of work, because "
     "they wanted consistency. He was quite upset about it. He'd planned something much more "
     "interesting. It felt like he was part of the school's performance rather than someone "
     "learning to teach."),
    ("Interviewer", "How are pupils talked about in the department, particularly with a trainee?"),
    ("Owen", "That's a good question. I did catch myself, early on, introducing Leah to her classes "
     "by what set they were. You know, \"this is the bottom set, they're low ability, don't "
     "expect too much.\" And she said, after one lesson, they were asking brilliant questions "
     "about the suffragettes. And she was right. I'd written them off a bit. Now I try to "
     "describe classes by what they're good at, e.g. \"really strong on discussion, need "
     "support with extended writing\". It sounds like a small thing."),
    ("Interviewer", "What would make mentoring better here?"),
    ("Owen", "More time, obviously. Protected cover for training days. And some recognition, "
     "honestly. Nobody in senior leadership has ever asked me how mentoring is going. It isn't "
     "in my appraisal, it isn't on my CV as far as the school's concerned. If the school took "
     "it seriously, you'd see it in how they talk about it."),
    ("Interviewer", "Thanks, Owen. That's everything from me."),
    ("Owen", "No worries. Mind the bucket on your way past the office. [laughs]"),
]

# ---------------------------------------------------------------------------------------------
# 3. HE peer mentor, Eastwold University: bold speaker run then normal text.
#    (speaker, text); speaker None = continuation paragraph with no label.
# ---------------------------------------------------------------------------------------------
PEER_TURNS = [
    ("Interviewer", "Hi Alex, come in. Do you want to sit here? The other chair’s a bit wobbly."),
    ("Alex", "Thanks. Can I move the table a bit? I just need the space for my chair. Great. "
     "[laughs] This is one of the few rooms in this building I can actually get into, so good "
     "choice."),
    ("Interviewer", "Really? Which ones can’t you get into?"),
    ("Alex", "Most of the seminar rooms on the second floor of the old library, because the lift "
     "only goes to the first. I’ve had two modules where they had to move the whole group down "
     "because of me. Which is fine, but everyone knows it’s because of you. It’s been on the list "
     "to fix for three years."),
    ("Interviewer", "That sounds frustrating. Could you tell me about your role as a peer mentor?"),
    ("Alex", "So I’m a final-year sociology student and I’ve been a peer mentor for two years. "
     "It’s a paid role, which matters, because I couldn’t afford to do it otherwise. We mentor "
     "first-year students, mostly from groups the university says are under-represented: "
     "first-generation, mature, care-experienced, disabled students, students of colour. I’m "
     "first in my family and I’m a wheelchair user, so I tick a couple of boxes myself. [laughs]"),
    ("Interviewer", "How are mentors and mentees matched?"),
    ("Alex", "This year it’s really good. Mentees look at short profiles and pick who they want. "
     "So they choose us. Last year it was allocated by course, and it was a bit random. I got "
     "matched with a mature student who was a nurse for twenty years and I’m twenty-one. She was "
     "lovely about it, but what did I have to tell her about life? She was mentoring me, "
     "honestly."),
    ("Interviewer", "Why do you think choice matters?"),
    ("Alex", "Because the whole thing is about trust. If someone has picked you, they’ve already "
     "decided there’s something about you they connect with. Maybe it’s your course, maybe it’s "
     "that you commute, maybe it’s that you’re also Black, or also disabled, or also the first "
     "one to go to uni. You don’t have to spend six weeks proving yourself."),
    ("Interviewer", "Can you tell me a bit about what the mentoring actually involves?"),
    ("Alex", "We meet, usually in the café, every couple of weeks in the first term. A lot of it "
     "is really practical. Where’s the library, how do you book a room, how do you log in to the "
     "VLE when it keeps telling you your password’s expired. [laughs] That one comes up every "
     "single September."),
    (None, "But then there’s the deeper stuff. People tell you things they wouldn’t tell staff. "
     "That they feel stupid in seminars. That they’re working thirty hours a week. That their "
     "mum thinks uni is a waste of time. And my job isn’t to fix it. It’s to listen, and say, "
     "yeah, I felt that too, and here’s what helped me, and here’s who can actually help if you "
     "want."),
    ("Interviewer", "What training did you get?"),
    ("Alex", "Two days at the start of the year, and then monthly supervision with the "
     "coordinator, Dr. Mensah. The training was good on listening, on boundaries, on when to "
     "refer someone on, e.g. if it’s a mental health crisis, you don’t try to handle it. But the "
     "thing I found most useful was a session on language."),
    ("Interviewer", "Language?"),
    ("Alex", "Yeah. So the university’s own materials, when I started, described our mentees as "
     "“at risk” and “hard-to-reach” and “from disadvantaged backgrounds”. And in the training, a "
     "few of us said, we’re those students. We don’t feel hard to reach, we feel like nobody’s "
     "trying to reach us. And the coordinator actually listened. The next year’s leaflets were "
     "rewritten, with us. They say things like “students who are the first in their family to "
     "go to university” instead of “disadvantaged”. It sounds tiny, but people read that "
     "stuff."),
    ("Interviewer", "Have you ever felt there’s a power imbalance in the scheme?"),
    ("Alex", "Between us and the staff? Sometimes. The decisions about the scheme, like who it’s "
     "for and how it’s measured, are made in committees we’re not in. We found out it was being "
     "evaluated by continuation rates from an email. Nobody asked us what we thought success "
     "looked like. For me, success is a mentee saying, I feel like I belong here now. That isn’t "
     "in the spreadsheet."),
    (None, "And between me and the mentees, yeah, a bit. I’m paid by the university, I’ve got a "
     "lanyard. Some students see me as staff, and that changes what they’ll say. I try to be "
     "clear that I’m a student first."),
    ("Interviewer", "Have you ever had to advocate for a mentee?"),
    ("Alex", "A couple of times, yeah. One mentee had a racist comment made in a group project "
     "and she didn’t know whether it was worth reporting. I didn’t tell her what to do. I told "
     "her what the options were, and said I’d come with her if she wanted. She did report it, "
     "and I went with her to see the student adviser. It got dealt with, sort of. Slowly."),
    ("Interviewer", "What about the future of the scheme?"),
    ("Alex", "That’s the worry. It’s funded out of a pot that ends next year, and there’s been no "
     "decision about what happens after. Prof. Reid came to our celebration event and said "
     "lovely things, but nobody’s said the words “permanent funding”. And if it goes, all the "
     "training, all the relationships, that’s gone. You can’t just restart it in three years."),
    ("Interviewer", "Thank you, Alex. Is there anything else you’d like to add?"),
    ("Alex", "Just, if you’re writing something for the university, put the lift in. [laughs] "
     "Seriously. Three years."),
]

# ---------------------------------------------------------------------------------------------
# 4. HE access and participation team discussion, Saltmarsh University: spreadsheet rows.
# ---------------------------------------------------------------------------------------------
APP_ROWS = [
    ("Facilitator", "Okay, is everyone on? I can see five of you. Marcus, your camera's off, is "
     "that deliberate?", "00:00:05"),
    ("Marcus", "Deliberate, I'm eating my lunch. [laughs] Sorry. Back-to-back all morning.", "00:00:14"),
    ("Facilitator", "No problem. So today I want to talk about the proposal that came from the "
     "steering group last week, that coaching should be compulsory for some students. Jo, do "
     "you want to set out what was proposed?", "00:00:19"),
    ("Jo", "Sure. So the proposal, which came from the student outcomes group, is that any "
     "student in one of the plan's target groups who fails a first-semester module gets "
     "automatically booked into four coaching sessions. They'd be expected to attend, and "
     "attendance would be reported back to their personal tutor.", "00:00:31"),
    ("Priya", "Can I just say straight away, I think that's a terrible idea.", "00:00:52"),
    ("Facilitator", "Go on.", "00:00:56"),
    ("Priya", "Coaching only works if the person wants to be there. If you make it compulsory, "
     "and then report on attendance, it stops being coaching. It becomes surveillance. And it "
     "sends a message that the problem is the student. We'd be telling a care leaver who failed "
     "a module, you've been flagged, you're a risk, report to the coach.", "00:00:58"),
    ("Marcus", "I hear that, but I'd push back a bit. The students who most need us are often "
     "the ones who never come. Our opt-in numbers from commuter students are tiny. If we wait "
     "for them to find us, we're just serving the confident ones.", "00:01:20"),
    ("Priya", "But is that because they don't need us, or because we're in the wrong place at "
     "the wrong time? All our sessions are nine to five, on campus.", "00:01:38"),
    ("Marcus", "Fair. Both, probably.", "00:01:47"),
    ("Jo", "There's also the language in the proposal. I've got it in front of me. It says "
     "\"targeted intervention for at-risk students who lack the academic skills to succeed\". "
     "I mean, we've spent a year trying to get the institution to stop talking like that.", "00:01:50"),
    ("Facilitator", "What would you want it to say instead?", "00:02:07"),
    ("Jo", "Something that puts the institution in the sentence. Like, students who the "
     "university hasn't yet supported well. Or just describe the situation: students who "
     "failed a module in first semester. No labels.", "00:02:10"),
    ("Sian", "Can I come in? I've been quiet. I think the thing that bothers me is that nobody "
     "asked students. The proposal was written by six members of staff, and I'd bet none of "
     "them were first in family or care-experienced. Our student advisory panel hasn't seen it. "
     "Who decided this?", "00:02:25"),
    ("Facilitator", "It went through the steering group, which Prof. Reid chairs.", "00:02:44"),
    ("Sian", "Right. So the people it's about weren't in the room. Again.", "00:02:48"),
    ("Marcus", "We should take it to the panel. They'll tell us straight.", "00:02:53"),
    ("Facilitator", "Agreed, I'll put that in the response. Can we talk about evaluation? Because "
     "part of the argument for compulsion is that it would give us bigger numbers to evaluate "
     "impact.", "00:02:57"),
    ("Jo", "That's such a backwards reason to do something. [laughs] We'd be designing the "
     "service around the evaluation.", "00:03:12"),
    ("Priya", "Although, to be fair, we are under pressure to show impact. The funding runs out "
     "in July and the finance committee want numbers. Continuation rates, attainment gaps. "
     "If we can't show a difference, the service might go.", "00:03:20"),
    ("Marcus", "And our numbers are small. Last year, what, a hundred and forty students? You "
     "can't say much about continuation with that, especially when the ones who opt in are "
     "different from the ones who don't.", "00:03:38"),
    ("Sian", "Which is why we need the qualitative stuff taken seriously. The interviews. The "
     "students who say, I was going to leave and I didn't. That's evidence too.", "00:03:55"),
    ("Facilitator", "Let's note that. Anything else on the proposal?", "00:04:07"),
    ("Priya", "Just one thing, about us. If we're honest, our team is not very diverse either. "
     "Four of us are white, most of us went to university straight from school. I think we need "
     "to be careful about claiming to speak for students when we're also part of the problem "
     "sometimes.", "00:04:11"),
    ("Jo", "Yes. I caught myself last week, writing up notes after a session, and I'd written "
     "\"student lacks confidence\". And when I reread it, the student had actually said she felt "
     "dismissed by her lecturer. That's not a lack of confidence. That's something that happened "
     "to her. I rewrote it.", "00:04:30"),
    ("Sian", "That's the kind of thing we should be feeding back, though. Not \"lacks "
     "confidence\", but \"three students this term described feeling dismissed in seminars on "
     "the same programme\".", "00:04:50"),
    ("Facilitator", "Okay. So, to summarise, we oppose compulsion, we propose opt-in with active "
     "invitations, including evening and online slots, we ask for the proposal to go to the "
     "student panel, and we rewrite the language. I'll draft something and circulate it by "
     "Friday.", "00:05:04"),
    ("Marcus", "Sounds good. Can we also ask for the evening sessions to come with some actual "
     "staffing? Because otherwise it's just us working late on goodwill.", "00:05:22"),
    ("Facilitator", "Noted. [laughs] Right, I'll let you all go. Marcus, enjoy your lunch.", "00:05:33"),
    ("Unknown Speaker", "Sorry, was that the end? I dropped out for a second, my Wi-Fi's been "
     "terrible since they moved us to the portakabins.", "00:05:38"),
    ("Facilitator", "That's the end, Dev. I'll send the notes round.", "00:05:46"),
]

# ---------------------------------------------------------------------------------------------
# 5. FE new lecturer (mentee), Brackenford College: plain text, written as UTF-8 with BOM and
#    CRLF line endings to test encoding and newline handling.
# ---------------------------------------------------------------------------------------------
BRACKENFORD_TEXT = """Interviewer: Can you hear me okay? This room has terrible acoustics.

Participant 3: Yeah, it's fine. It used to be the staff gym, apparently, before they turned it into a meeting room. You can still see the marks on the floor where the rowing machines were. [laughs]

Interviewer: [laughs] So, to start, can you tell me about your job?

Participant 3: I'm a lecturer in computing at Brackenford, mostly level 2 and level 3, some of the T level stuff. I started in September, so this is my first year teaching. Before that I worked in IT support for a housing association for six years. Which is ironic, because my college login didn't work for the first two weeks. [laughs] I had to teach networking off a printed sheet.

Interviewer: And what support were you given when you started?

Participant 3: So there's a college policy that all new teaching staff get a mentor for the first year, it's part of probation. There's an induction week in August, a lot of mandatory training, safeguarding, Prevent, GDPR, etc. Then in the first couple of weeks you meet your mentor and fill in a mentoring agreement. It's a two-page form. Your goals, how often you'll meet, what you both commit to.

Interviewer: Who's your mentor?

Participant 3: My line manager, the head of department. I didn't have a choice about it. The policy says it's normally the line manager "unless there are exceptional circumstances", which I read as, it's the line manager. [laughs]

Interviewer: How has that worked out?

Participant 3: Um. She's nice. She's very busy. We've met, I think, four times since September, and we were supposed to meet every two weeks. Each time it's been really focused on what I've got to get done, like, have you done your schemes of work, have you marked the assignments, have you put your attendance in, the tracker's red. Which is fair, that's her job. But it's not really mentoring, is it? It's managing.

I don't feel like I can go to her and say, I don't actually know how to teach. Because in my head she's also the person who decides if I pass my probation in June. And she's the one who observed me for the quality thing in November.

Interviewer: Can you tell me about that observation?

Participant 3: So, every teacher gets a formal observation each year for the quality process. For new staff it's in the first term. Mine was with my level 2 group on a Thursday afternoon, which is basically the worst group at the worst time. [laughs] Half of them have been in since nine. And it was my manager and someone from the quality team, Mr. Jones. They sat at the back with laptops.

It went okay. But the feedback was all about evidence. Was there differentiation, was there stretch and challenge, was English and maths embedded. They said it was "developing". And then I got an email from the quality team saying I'd been put on a support plan, which includes, guess what, more observations. Nobody told me what the support actually was. I still don't really know.

Interviewer: How did that feel?

Participant 3: Honestly, it knocked me. I went home and thought, I'm not cut out for this. I nearly emailed HR about going back to my old job. I'm on less money than I was, I'm working every weekend. The only reason I didn't was because of Sandra.

Interviewer: Who's Sandra?

Participant 3: She teaches business, in the same staffroom, been here about fifteen years. She's not my official mentor, she's got nothing to do with computing. But she saw me looking a bit broken after that observation and took me for a coffee. And since then we've just, sort of, carried on. Every Wednesday we have lunch together. I can tell her anything. I told her the lesson plan I'd written for the observation wasn't even what I normally do, I just made it look like what they wanted. And she laughed and said everyone does that.

Interviewer: What makes that relationship different?

Participant 3: She's got no power over me. [laughs] That's basically it. She doesn't write anything down, she's not reporting to anyone. And I chose her, or we chose each other. She asks me questions instead of telling me what to do. Like, what did you want them to get out of that session, and did they? It makes me think, rather than just, you know, panic.

Interviewer: Does Sandra get any time or recognition for this?

Participant 3: No. None at all. It's completely on her own time. I did mention her to my manager once, and she said, oh that's nice. That was it. I think the college would actually count my manager as my mentor in whatever report they send up. Sandra doesn't exist, as far as the system's concerned.

Interviewer: Thinking about your students, how are they talked about in the department?

Participant 3: Hmm. There's a lot of, "these students can't do maths", or, "level 2 are the ones nobody else wanted". And at first I sort of went along with it. But some of my level 2 lads are amazing with hardware. One of them built his own PC from parts he got off his uncle. They're not "low level", they just didn't do well at GCSE, for lots of reasons. One of them's a young carer. One's got two jobs. If we keep saying they're the bottom of the pile, they'll believe it.

Interviewer: Is there anything you'd change about the mentoring?

Participant 3: I'd let people choose. Or at least have a mentor who isn't your manager. I'd make the agreement mean something, actually talk through it, not just sign it and upload it. And I'd give mentors time. Sandra deserves an hour a week on her timetable more than anyone I know.

Interviewer: Thanks so much, that's really helpful.

Participant 3: No problem. Are you okay getting out? The door sticks, you have to lift it and pull.
"""


# ---------------------------------------------------------------------------------------------
# Deterministic writing helpers
# ---------------------------------------------------------------------------------------------
def _normalise_zip(data: bytes, fix_core: bool = False) -> bytes:
    """Rewrite a zip package with fixed entry timestamps/attributes (and, optionally, a fixed
    ``dcterms:modified`` in docProps/core.xml, which openpyxl always sets to "now")."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if fix_core and info.filename == "docProps/core.xml":
                text = blob.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    r"\g<1>2024-01-01T00:00:00Z\g<2>",
                    text,
                )
                blob = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.create_system = 0
            zi.external_attr = 0
            dst.writestr(zi, blob)
    return out.getvalue()


def _set_docx_props(document: docx.Document, title: str) -> None:
    cp = document.core_properties
    cp.author = AUTHOR
    cp.last_modified_by = AUTHOR
    cp.title = title
    cp.subject = "cmqual sample corpus (fictional)"
    cp.comments = "Fictional transcript written by the cmqual team. No real people or institutions."
    cp.keywords = "cmqual; sample; fictional"
    cp.created = FIXED
    cp.modified = FIXED
    cp.last_printed = FIXED
    cp.revision = 1


def _save_docx(document: docx.Document, path: Path) -> None:
    buf = io.BytesIO()
    document.save(buf)
    path.write_bytes(_normalise_zip(buf.getvalue()))


def build_ashmere(out: Path) -> Path:
    document = docx.Document()
    _set_docx_props(document, ASHMERE_TITLE)
    document.add_heading(ASHMERE_TITLE, level=1)
    for text in ASHMERE_PARAS:
        document.add_paragraph(text)
    path = out / "fe_line_manager_ashmere.docx"
    _save_docx(document, path)
    return path


def build_fenwick(out: Path) -> Path:
    document = docx.Document()
    _set_docx_props(document, "Interview transcript – subject mentor, Fenwick Lane School")
    table = document.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    header = table.rows[0].cells
    header[0].text = "Speaker"
    header[1].text = "Text"
    for cell in header:
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for speaker, text in FENWICK_ROWS:
        cells = table.add_row().cells
        cells[0].text = speaker
        cells[1].text = text
    path = out / "ite_school_mentor_fenwick_lane.docx"
    _save_docx(document, path)
    return path


def build_peer(out: Path) -> Path:
    document = docx.Document()
    _set_docx_props(document, "Interview transcript – peer mentor, Eastwold University")
    for speaker, text in PEER_TURNS:
        para = document.add_paragraph()
        if speaker is not None:
            label = para.add_run(f"{speaker}:")
            label.bold = True
            para.add_run(f" {text}")
        else:
            para.add_run(text)
    style = document.styles["Normal"]
    style.font.size = Pt(11)
    path = out / "he_peer_mentor_eastwold.docx"
    _save_docx(document, path)
    return path


def build_app_xlsx(out: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Transcript"
    ws.append(["Speaker", "Utterance", "Time"])
    for speaker, text, time in APP_ROWS:
        ws.append([speaker, text, time])
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 100
    ws.column_dimensions["C"].width = 10
    props = wb.properties
    props.creator = AUTHOR
    props.lastModifiedBy = AUTHOR
    props.title = "A&P team discussion – Saltmarsh University"
    props.description = "Fictional transcript written by the cmqual team. No real people or institutions."
    props.created = FIXED
    props.modified = FIXED
    buf = io.BytesIO()
    wb.save(buf)
    path = out / "he_app_team_discussion_saltmarsh.xlsx"
    path.write_bytes(_normalise_zip(buf.getvalue(), fix_core=True))
    return path


def build_bom_crlf(out: Path) -> Path:
    path = out / "fe_new_lecturer_brackenford.txt"
    data = "\ufeff" + BRACKENFORD_TEXT.replace("\r\n", "\n").replace("\n", "\r\n")
    path.write_bytes(data.encode("utf-8"))
    return path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    for build in (build_ashmere, build_fenwick, build_peer, build_app_xlsx, build_bom_crlf):
        print(build(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
